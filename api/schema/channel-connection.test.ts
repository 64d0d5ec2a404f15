import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher } from '../../db/credentials';
import { channels } from '../../db/schema';
import { MAX_LISTED_TEMPLATES } from '../../edge/channels/connection';
import {
  TEST_GRAPH_VERSION,
  WHATSAPP_TEST_IDS,
} from '../../edge/channels/whatsapp-meta/test-fixtures';
import { type GraphTemplate, type MetaGraph, startMetaGraph } from '../../test/fakes/meta-graph';
import { selectAll, type TestWorkspace, useTestApi } from '../test-support';
import { workflowClient } from '../workflows/test-fixtures';

/** Filled once the stand-in listens; the API reads the same object on every request. */
const endpoints: Record<string, string> = {};
const api = useTestApi({ providerEndpoints: endpoints });
let graph: MetaGraph;

const body = (text: string) => [{ type: 'BODY', text }];
const TEMPLATES: GraphTemplate[] = [
  {
    name: 'order_update',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: body('Hi {{1}}, order {{2}} shipped'),
  },
  {
    name: 'order_update',
    language: 'pt_BR',
    status: 'APPROVED',
    category: 'UTILITY',
    components: body('Oi {{1}}, pedido {{2}}'),
  },
  {
    name: 'new_offer',
    language: 'en',
    status: 'PENDING',
    category: 'MARKETING',
    components: body('Offer'),
  },
  {
    name: 'with_header',
    language: 'en',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [{ type: 'HEADER', format: 'IMAGE' }, ...body('Look {{1}}')],
  },
  {
    name: 'shipping_link',
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
      ...body('Hi {{1}}, track it below'),
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Thanks' },
          { type: 'URL', text: 'Track', url: 'https://track.example.com/{{1}}' },
        ],
      },
    ],
  },
  // Enough templates that listing them takes two pages.
  ...Array.from({ length: 120 }, (_, index) => ({
    name: `filler_${index}`,
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    components: body('Filler'),
  })),
];

beforeAll(async () => {
  graph = await startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    templates: TEMPLATES,
  });
  Object.assign(endpoints, { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION });
});

afterAll(async () => {
  await graph?.close();
});

const CHANNEL_FIELDS =
  'id status statusDetail verifiedAt callback { url verifyToken } templates { name language status bodyParameters } templatesSyncedAt';
const CREATE = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { ${CHANNEL_FIELDS} } }
      ... on ValidationError { issues { code path } }
    }
  }
`;
const VERIFY = /* GraphQL */ `
  mutation ($id: ID!) { verifyChannel(id: $id) { ... on MutationVerifyChannelSuccess { data { ${CHANNEL_FIELDS} } } } }
`;

function whatsappInput(overrides: { accessToken?: string; phoneNumberId?: string } = {}) {
  return {
    type: 'WHATSAPP',
    name: 'WhatsApp',
    settings: {
      whatsapp: {
        phoneNumberId: overrides.phoneNumberId ?? WHATSAPP_TEST_IDS.phoneNumberId,
        businessAccountId: WHATSAPP_TEST_IDS.businessAccountId,
      },
    },
    credentials: {
      whatsapp: {
        accessToken: overrides.accessToken ?? WHATSAPP_TEST_IDS.accessToken,
        appSecret: WHATSAPP_TEST_IDS.appSecret,
      },
    },
  };
}

async function connect(ws: TestWorkspace, overrides: Parameters<typeof whatsappInput>[0] = {}) {
  const result = await api.gql(ws.apiKey, CREATE, { input: whatsappInput(overrides) });
  expect(result.data.createChannel.__typename).toBe('MutationCreateChannelSuccess');
  return result.data.createChannel.data;
}

describe('connecting a WhatsApp channel', () => {
  it('verifies the token against the phone number, lists every template page, and gives the callback URL and verify token', async () => {
    const ws = await api.createWorkspace();
    const channel = await connect(ws);
    expect(channel).toMatchObject({
      status: 'CONNECTED',
      statusDetail: 'Verified: Sendflow Test (+1 555-010-0000)',
      verifiedAt: expect.any(String),
      callback: {
        url: `http://api.test/callbacks/meta/${channel.id}`,
        verifyToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      },
    });
    expect(channel.templates).toHaveLength(TEMPLATES.length);
    expect(channel.templates.slice(0, 4)).toEqual([
      { name: 'order_update', language: 'en_US', status: 'APPROVED', bodyParameters: 2 },
      { name: 'order_update', language: 'pt_BR', status: 'APPROVED', bodyParameters: 2 },
      { name: 'new_offer', language: 'en', status: 'PENDING', bodyParameters: 0 },
      { name: 'with_header', language: 'en', status: 'APPROVED', bodyParameters: 1 },
    ]);
    const listed = graph.requests.filter((request) => request.path.endsWith('/message_templates'));
    expect(listed.length).toBeGreaterThanOrEqual(2);
  });

  it('a token Meta refuses puts the channel in ERROR with the reason, and verifyChannel clears it once fixed', async () => {
    const ws = await api.createWorkspace();
    const channel = await connect(ws, { accessToken: 'EAA-expired' });
    expect(channel).toMatchObject({
      status: 'ERROR',
      statusDetail: expect.stringContaining('error 190'),
      verifiedAt: null,
      templates: null,
    });
    await api.db
      .update(channels)
      .set({
        credentialsCiphertext: await new CredentialCipher(api.credentialsKey).encrypt({
          accessToken: WHATSAPP_TEST_IDS.accessToken,
          appSecret: WHATSAPP_TEST_IDS.appSecret,
        }),
      })
      .where(eq(channels.id, channel.id));
    const verified = await api.gql(ws.apiKey, VERIFY, { id: channel.id });
    expect(verified.data.verifyChannel.data).toMatchObject({
      status: 'CONNECTED',
      verifiedAt: expect.any(String),
    });
  });

  it('a phone number id the token cannot see is an ERROR too', async () => {
    const ws = await api.createWorkspace();
    expect(await connect(ws, { phoneNumberId: '123456' })).toMatchObject({
      status: 'ERROR',
      statusDetail: expect.stringContaining('100/33'),
    });
  });

  it('when Meta cannot be reached the channel is saved, connected, and says it is not verified', async () => {
    const ws = await api.createWorkspace();
    const saved = endpoints.GRAPH_API_URL!;
    endpoints.GRAPH_API_URL = 'http://127.0.0.1:1';
    try {
      expect(await connect(ws)).toMatchObject({
        status: 'CONNECTED',
        statusDetail: expect.stringMatching(
          /^Not verified: WhatsApp Cloud API could not be reached/,
        ),
        templates: null,
      });
    } finally {
      endpoints.GRAPH_API_URL = saved;
    }
  });

  it("moving the channel to another account whose templates cannot be listed drops the old account's templates", async () => {
    const ws = await api.createWorkspace();
    const channel = await connect(ws);
    expect(channel.templates).toHaveLength(TEMPLATES.length);
    // The same number under a business account id the token cannot list (a mistyped id).
    const updated = await api.gql(
      ws.apiKey,
      `mutation ($id: ID!, $input: UpdateChannelInput!) {
        updateChannel(id: $id, input: $input) {
          ... on MutationUpdateChannelSuccess { data { ${CHANNEL_FIELDS} } }
        }
      }`,
      {
        id: channel.id,
        input: {
          settings: {
            whatsapp: {
              phoneNumberId: WHATSAPP_TEST_IDS.phoneNumberId,
              businessAccountId: '999000111222333',
            },
          },
        },
      },
    );
    expect(updated.data.updateChannel.data).toMatchObject({
      status: 'CONNECTED',
      statusDetail: expect.stringContaining('templates could not be listed'),
      // Not the other account's list: steps are refused TEMPLATES_UNAVAILABLE until listed.
      templates: null,
      templatesSyncedAt: null,
    });
  });

  it('never returns the access token or the app secret', async () => {
    const ws = await api.createWorkspace();
    const channel = await connect(ws);
    const everything = await api.gql(
      ws.apiKey,
      `query ($id: ID!) { channel(id: $id) ${selectAll('Channel')} }`,
      {
        id: channel.id,
      },
    );
    const text = JSON.stringify(everything);
    expect(text).not.toContain(WHATSAPP_TEST_IDS.accessToken);
    expect(text).not.toContain(WHATSAPP_TEST_IDS.appSecret);
  });
});

describe("a step's template is checked against the account's templates", () => {
  /** A library file registered by URL, for a header's `fileId: LIBRARY_FILE`. */
  interface LibraryFile {
    name: string;
    contentType: string;
    sizeBytes: number;
    url: string;
  }
  const LIBRARY_FILE = 'LIBRARY_FILE';

  async function stepWith(
    template: {
      templateName: string;
      languageCode: string;
      parameters?: string[];
      headerParameters?: string[];
      buttonParameters?: { index: number; text: string }[];
      headerMedia?: { format: string; fileId?: string; link?: string; fileName?: string };
    },
    file?: LibraryFile,
  ) {
    const ws = await api.createWorkspace();
    const channel = await connect(ws);
    const client = workflowClient(api, ws.apiKey);
    const workflow = await client.createWorkflow();
    let whatsappTemplate = template;
    if (file) {
      const created = await api.gql(
        ws.apiKey,
        `mutation ($input: CreateFileInput!) {
          createFile(input: $input) { ... on MutationCreateFileSuccess { data { id } } }
        }`,
        { input: file },
      );
      const fileId = created.data.createFile.data.id as string;
      whatsappTemplate = {
        ...template,
        headerMedia: { ...template.headerMedia!, fileId },
      };
    }
    const result = await client.run('addSendMessageStep', {
      input: {
        workflowId: workflow.id,
        config: {
          channel: { kind: 'SPECIFIC', channelId: channel.id },
          defaultMessage: { text: 'Hello' },
          channelResponses: [{ channelId: channel.id, whatsappTemplate }],
        },
      },
    });
    return { ws, channel, client, workflow, result };
  }

  it('an approved template in its language with the right parameter count is saved', async () => {
    const { result } = await stepWith({
      templateName: 'order_update',
      languageCode: 'pt-BR',
      parameters: ['$contact.firstname', '#1'],
    });
    expect(result.__typename).toBe('MutationAddSendMessageStepSuccess');
  });

  it('a text header and a dynamic URL button are filled by header and button parameters, checked by count and position', async () => {
    const base = {
      templateName: 'shipping_link',
      languageCode: 'en',
      parameters: ['$contact.firstname'],
    };
    const { ws, channel, result } = await stepWith({
      ...base,
      headerParameters: ['#1042'],
      buttonParameters: [{ index: 1, text: 'ord-1042' }],
    });
    expect(result.__typename).toBe('MutationAddSendMessageStepSuccess');
    const listed = await api.gql(
      ws.apiKey,
      `query ($id: ID!) { channel(id: $id) { templates { name headerParameters urlButtons mediaHeader } } }`,
      { id: channel.id },
    );
    expect(
      listed.data?.channel.templates.filter((template: { name: string }) =>
        ['shipping_link', 'with_header'].includes(template.name),
      ),
    ).toEqual([
      { name: 'with_header', headerParameters: 0, urlButtons: [], mediaHeader: true },
      { name: 'shipping_link', headerParameters: 1, urlButtons: [1], mediaHeader: false },
    ]);
    const missing = await stepWith(base);
    expect(missing.result.issues?.map((issue: { path: string }) => issue.path)).toEqual([
      'config.channelResponses[0].content.headerParameters',
      'config.channelResponses[0].content.buttonParameters',
    ]);
    const wrongButton = await stepWith({
      ...base,
      headerParameters: ['#1042'],
      buttonParameters: [{ index: 0, text: 'ord-1042' }],
    });
    expect(wrongButton.result.issues).toEqual([
      expect.objectContaining({
        code: 'TEMPLATE_PARAMETER_MISMATCH',
        path: 'config.channelResponses[0].content.buttonParameters',
      }),
    ]);
  });

  it('an unknown template, a missing language, a wrong parameter count, a pending template or one missing its header media are typed errors', async () => {
    const cases: Array<[Parameters<typeof stepWith>[0], string, string]> = [
      [{ templateName: 'nope', languageCode: 'en' }, 'TEMPLATE_NOT_FOUND', 'templateName'],
      [
        { templateName: 'order_update', languageCode: 'fr', parameters: ['a', 'b'] },
        'TEMPLATE_NOT_FOUND',
        'languageCode',
      ],
      [
        { templateName: 'order_update', languageCode: 'en_US', parameters: ['a'] },
        'TEMPLATE_PARAMETER_MISMATCH',
        'parameters',
      ],
      [{ templateName: 'new_offer', languageCode: 'en' }, 'TEMPLATE_NOT_APPROVED', 'templateName'],
      [
        { templateName: 'with_header', languageCode: 'en', parameters: ['x'] },
        'TEMPLATE_PARAMETER_MISMATCH',
        'headerMedia',
      ],
    ];
    for (const [template, code, field] of cases) {
      const { result } = await stepWith(template);
      expect(result.issues, JSON.stringify(template)).toEqual([
        expect.objectContaining({ code, path: `config.channelResponses[0].content.${field}` }),
      ]);
    }
  });

  it("an IMAGE header's media is a link or a library image; a wrong format, a file WhatsApp cannot show there, or a header the template lacks are typed errors", async () => {
    const withHeader = { templateName: 'with_header', languageCode: 'en', parameters: ['x'] };
    const photo = {
      name: 'sale.jpg',
      contentType: 'image/jpeg',
      sizeBytes: 120_000,
      url: 'https://cdn.example.com/sale.jpg',
    };
    const linked = await stepWith({
      ...withHeader,
      headerMedia: { format: 'IMAGE', link: 'https://cdn.example.com/sale.jpg' },
    });
    expect(linked.result.__typename).toBe('MutationAddSendMessageStepSuccess');
    const fromLibrary = await stepWith(
      { ...withHeader, headerMedia: { format: 'IMAGE', fileId: LIBRARY_FILE } },
      photo,
    );
    expect(fromLibrary.result.__typename).toBe('MutationAddSendMessageStepSuccess');
    const saved = await api.gql(
      fromLibrary.ws.apiKey,
      `query ($id: ID!) { workflow(id: $id) { steps { ... on SendMessageStep { config {
        channelResponses { content { ... on WhatsAppTemplateMessage {
          headerMedia { format fileId link fileName file { name } } } } } } } } } }`,
      { id: fromLibrary.workflow.id },
    );
    expect(saved.data.workflow.steps[0].config.channelResponses[0].content.headerMedia).toEqual({
      format: 'IMAGE',
      fileId: expect.any(String),
      link: null,
      fileName: null,
      file: { name: 'sale.jpg' },
    });

    const cases: Array<[Parameters<typeof stepWith>, string, string]> = [
      [
        [
          {
            ...withHeader,
            headerMedia: { format: 'VIDEO', link: 'https://cdn.example.com/a.mp4' },
          },
        ],
        'TEMPLATE_PARAMETER_MISMATCH',
        'headerMedia',
      ],
      [
        [
          { ...withHeader, headerMedia: { format: 'IMAGE', fileId: LIBRARY_FILE } },
          { ...photo, name: 'terms.pdf', contentType: 'application/pdf' },
        ],
        'MEDIA_NOT_ACCEPTED',
        'headerMedia.fileId',
      ],
      [
        [
          { ...withHeader, headerMedia: { format: 'IMAGE', fileId: LIBRARY_FILE } },
          { ...photo, sizeBytes: 6 * 1024 * 1024 },
        ],
        'MEDIA_NOT_ACCEPTED',
        'headerMedia.fileId',
      ],
      [
        [
          {
            templateName: 'order_update',
            languageCode: 'en_US',
            parameters: ['a', 'b'],
            headerMedia: { format: 'IMAGE', link: 'https://cdn.example.com/sale.jpg' },
          },
        ],
        'TEMPLATE_PARAMETER_MISMATCH',
        'headerMedia',
      ],
      [
        [{ ...withHeader, headerMedia: { format: 'IMAGE', link: 'http://cdn.example.com/a.jpg' } }],
        'INVALID_VALUE',
        'headerMedia.link',
      ],
      [[{ ...withHeader, headerMedia: { format: 'IMAGE' } }], 'INVALID_VALUE', 'headerMedia'],
      [
        [
          {
            ...withHeader,
            headerMedia: { format: 'IMAGE', link: 'https://cdn.example.com/a.jpg', fileName: 'a' },
          },
        ],
        'INVALID_VALUE',
        'headerMedia.fileName',
      ],
    ];
    for (const [args, code, field] of cases) {
      const { result } = await stepWith(...args);
      expect(result.issues, JSON.stringify(args)).toEqual([
        expect.objectContaining({ code, path: `config.channelResponses[0].content.${field}` }),
      ]);
    }
  });

  it('publishing lists stale templates again: a template Meta no longer has is refused', async () => {
    const { channel, client, workflow, result } = await stepWith({
      templateName: 'order_update',
      languageCode: 'en_US',
      parameters: ['a', 'b'],
    });
    expect(result.__typename).toBe('MutationAddSendMessageStepSuccess');
    // Twenty minutes later, the template was deleted in WhatsApp Manager.
    await api.db
      .update(channels)
      .set({ templatesSyncedAt: new Date(Date.now() - 20 * 60_000) })
      .where(eq(channels.id, channel.id));
    const removed = graph.templates.splice(0, 1);
    try {
      const published = await client.run('publishWorkflow', { workflowId: workflow.id });
      expect(published.__typename).toBe('PublishRejected');
      expect(published.report.errors.map((issue: { code: string }) => issue.code)).toEqual([
        'TEMPLATE_NOT_FOUND',
      ]);
    } finally {
      graph.templates.unshift(...removed);
    }
  });

  it('a channel whose templates could never be listed refuses template steps until they can be', async () => {
    const ws = await api.createWorkspace();
    const saved = endpoints.GRAPH_API_URL!;
    endpoints.GRAPH_API_URL = 'http://127.0.0.1:1';
    let channelId: string;
    let result: { issues?: { code: string }[] };
    try {
      channelId = (await connect(ws)).id;
      const client = workflowClient(api, ws.apiKey);
      const workflow = await client.createWorkflow();
      result = await client.run('addSendMessageStep', {
        input: {
          workflowId: workflow.id,
          config: {
            channel: { kind: 'SPECIFIC', channelId },
            defaultMessage: { text: 'Hello' },
            channelResponses: [
              {
                channelId,
                whatsappTemplate: {
                  templateName: 'order_update',
                  languageCode: 'en_US',
                  parameters: ['a', 'b'],
                },
              },
            ],
          },
        },
      });
    } finally {
      endpoints.GRAPH_API_URL = saved;
    }
    expect(result.issues?.map((issue) => issue.code)).toEqual(['TEMPLATES_UNAVAILABLE']);
  });
});

describe('an account with more templates than a listing reads', () => {
  it('keeps the first MAX_LISTED_TEMPLATES and says so in statusDetail', async () => {
    const added = MAX_LISTED_TEMPLATES + 10 - graph.templates.length;
    graph.templates.push(
      ...Array.from({ length: added }, (_, index) => ({
        name: `extra_${index}`,
        language: 'en',
        status: 'APPROVED',
        category: 'UTILITY',
        components: body('Extra'),
      })),
    );
    try {
      const ws = await api.createWorkspace();
      const channel = await connect(ws);
      expect(channel.status).toBe('CONNECTED');
      expect(channel.statusDetail).toBe(
        'Verified: Sendflow Test (+1 555-010-0000); only the first 5,000 templates were listed (the account has more): steps naming any other are refused TEMPLATE_NOT_FOUND',
      );
      expect(channel.templates).toHaveLength(MAX_LISTED_TEMPLATES);
    } finally {
      graph.templates.splice(graph.templates.length - added, added);
    }
  });
});
