import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  type GraphTemplate,
  graphError,
  type MetaGraph,
  startMetaGraph,
} from '../../../test/fakes/meta-graph';
import { takesBusinessScopedUserIds } from '../../../workflow/channel-addresses';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { whatsappMetaDefinition } from './definition';
import {
  documentHeaderTemplate,
  documentHeaderTemplateBody,
  TEST_GRAPH_VERSION,
  WHATSAPP_TEST_IDS,
  whatsappChannel,
  whatsappMessage,
} from './test-fixtures';

let graph: MetaGraph;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

const BOARDING_PASS = {
  link: 'https://cdn.example.com/pass-1042.pdf',
  filename: 'Boarding pass.pdf',
};

/** Approved templates with media headers: the stand-in checks sends of these against them. */
const MEDIA_HEADER_TEMPLATES: GraphTemplate[] = [
  documentHeaderTemplate('boarding_pass', 'Your boarding pass, {{1}}.'),
  // An authentication template, which Meta sends to phone numbers only (131062 for a BSUID).
  {
    name: 'login_code',
    language: 'en',
    status: 'APPROVED',
    category: 'AUTHENTICATION',
    components: [{ type: 'BODY', text: 'Your code is ready.' }],
  },
  {
    name: 'flash_sale',
    language: 'en',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'IMAGE' },
      { type: 'BODY', text: 'Today only.' },
    ],
  },
];

beforeAll(async () => {
  graph = await startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    templates: MEDIA_HEADER_TEMPLATES,
  });
  worker = await startAdapterWorker();
  endpoints = { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION };
});

afterAll(async () => {
  await worker?.dispose();
  await graph?.close();
});

beforeEach(() => {
  graph.requests.length = 0;
});

function send(rendered: RenderedMessage, overrides: Parameters<typeof whatsappMessage>[1] = {}) {
  return worker.send(whatsappMessage(rendered, overrides), { allowPrivateUrls: false, endpoints });
}

describe('sending through the WhatsApp Cloud API', () => {
  test('a text goes to <phone-number-id>/messages with the bearer token, link previews off and the delivery id echoed', async () => {
    const message = whatsappMessage({ kind: 'text', text: 'Hi Ada, see https://example.com' });
    const outcome = await worker.send(message, { allowPrivateUrls: false, endpoints });
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^wamid\./),
    });
    const [request] = graph.sends();
    expect(request?.path).toBe(
      `/${TEST_GRAPH_VERSION}/${WHATSAPP_TEST_IDS.phoneNumberId}/messages`,
    );
    expect(request?.headers.authorization).toBe(`Bearer ${WHATSAPP_TEST_IDS.accessToken}`);
    expect(request?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      type: 'text',
      text: { preview_url: false, body: 'Hi Ada, see https://example.com' },
      biz_opaque_callback_data: message.deliveryId,
    });
  });

  test('media goes by link: images and video with a caption, documents with their file name, audio bare and its caption as a text after it', async () => {
    const media = (contentType: string, fileName: string): RenderedMessage => ({
      kind: 'media',
      url: `https://files.example.com/${fileName}`,
      fileName,
      contentType,
      caption: 'Our menu',
    });
    for (const rendered of [
      media('image/png', 'menu.png'),
      media('video/mp4', 'tour.mp4'),
      media('application/pdf', 'menu.pdf'),
      media('audio/ogg', 'hello.ogg'),
    ]) {
      expect(await send(rendered)).toMatchObject({ status: 'sent' });
    }
    expect(
      graph
        .sends()
        .map((request) => [request.json?.type, request.json?.[String(request.json?.type)]]),
    ).toEqual([
      ['image', { link: 'https://files.example.com/menu.png', caption: 'Our menu' }],
      ['video', { link: 'https://files.example.com/tour.mp4', caption: 'Our menu' }],
      [
        'document',
        { link: 'https://files.example.com/menu.pdf', caption: 'Our menu', filename: 'menu.pdf' },
      ],
      ['audio', { link: 'https://files.example.com/hello.ogg' }],
      ['text', { preview_url: false, body: 'Our menu' }],
    ]);
  });

  test('a template goes with its language and body parameters, and without components when it has none', async () => {
    await send({
      kind: 'whatsapp_template',
      templateName: 'order_update',
      languageCode: 'en_US',
      parameters: ['Ada', '#1042'],
    });
    await send({
      kind: 'whatsapp_template',
      templateName: 'hello_world',
      languageCode: 'en',
      parameters: [],
    });
    expect(graph.sends().map((request) => request.json?.template)).toEqual([
      {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ada' },
              { type: 'text', text: '#1042' },
            ],
          },
        ],
      },
      { name: 'hello_world', language: { code: 'en' } },
    ]);
  });

  test('a template with a text header and a dynamic URL button sends header, body and button components', async () => {
    await send({
      kind: 'whatsapp_template',
      templateName: 'shipping_link',
      languageCode: 'en',
      parameters: ['Ada'],
      headerParameters: ['#1042'],
      buttonParameters: [{ index: 1, text: 'ord-1042' }],
    });
    expect(graph.sends()[0]?.json?.template).toEqual({
      name: 'shipping_link',
      language: { code: 'en' },
      components: [
        { type: 'header', parameters: [{ type: 'text', text: '#1042' }] },
        { type: 'body', parameters: [{ type: 'text', text: 'Ada' }] },
        {
          type: 'button',
          sub_type: 'url',
          index: '1',
          parameters: [{ type: 'text', text: 'ord-1042' }],
        },
      ],
    });
  });

  test("a media header template sends its document with the file name, or its image, as the header's one parameter", async () => {
    const document = await send({
      kind: 'whatsapp_template',
      templateName: 'boarding_pass',
      languageCode: 'en',
      parameters: ['Ada'],
      headerMedia: { kind: 'document', link: BOARDING_PASS.link, fileName: BOARDING_PASS.filename },
    });
    const image = await send({
      kind: 'whatsapp_template',
      templateName: 'flash_sale',
      languageCode: 'en',
      parameters: [],
      headerMedia: { kind: 'image', link: 'https://cdn.example.com/sale.jpg' },
    });
    expect([document.status, image.status]).toEqual(['sent', 'sent']);
    expect(graph.sends().map((request) => request.json?.template)).toEqual([
      documentHeaderTemplateBody('boarding_pass', BOARDING_PASS, 'Ada'),
      {
        name: 'flash_sale',
        language: { code: 'en' },
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/sale.jpg' } }],
          },
        ],
      },
    ]);
  });

  test('a media header template sent without its media, or with the wrong kind, is refused by Meta (132012): template_invalid', async () => {
    const outcomes = [
      await send({
        kind: 'whatsapp_template',
        templateName: 'flash_sale',
        languageCode: 'en',
        parameters: [],
      }),
      await send({
        kind: 'whatsapp_template',
        templateName: 'flash_sale',
        languageCode: 'en',
        parameters: [],
        headerMedia: { kind: 'video', link: 'https://cdn.example.com/sale.mp4' },
      }),
    ];
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        status: 'failed',
        reason: 'template_invalid',
        retryable: false,
        detail: expect.stringContaining('132012'),
      });
    }
  });

  test('a caption over 1,024 characters is invalid content, without calling Meta', async () => {
    const outcome = await send({
      kind: 'media',
      url: 'https://files.example.com/a.png',
      fileName: 'a.png',
      contentType: 'image/png',
      caption: 'x'.repeat(1025),
    });
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
    expect(graph.requests).toHaveLength(0);
  });

  test("an audio file's caption is not lost: it follows as a text message, held to a text's 4,096", async () => {
    // "Audio messages" take no caption: the caption goes as a text once the audio is accepted,
    // untagged: the delivery is the audio's, and the text's statuses must not decide it.
    const audio: RenderedMessage = {
      kind: 'media',
      url: 'https://files.example.com/hello.ogg',
      fileName: 'hello.ogg',
      contentType: 'audio/ogg',
      caption: `Listen, Ada: ${'x'.repeat(1025)}`,
    };
    const message = whatsappMessage(audio);
    const outcome = await worker.send(message, { allowPrivateUrls: false, endpoints });
    expect(outcome).toMatchObject({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^wamid\./),
      providerDetail: expect.stringMatching(
        /^WhatsApp audio takes no caption: it went as a text message \(wamid\./,
      ),
    });
    const [first, second, ...rest] = graph.sends();
    expect(rest).toHaveLength(0);
    expect(first?.json).toMatchObject({
      type: 'audio',
      audio: { link: 'https://files.example.com/hello.ogg' },
      biz_opaque_callback_data: message.deliveryId,
    });
    expect(second?.json).toMatchObject({
      to: first?.json?.to,
      type: 'text',
      text: { preview_url: false, body: audio.caption },
    });
    expect(second?.json).not.toHaveProperty('biz_opaque_callback_data');
    expect(outcome.status === 'sent' && outcome.providerMessageId).not.toBe(
      outcome.status === 'sent' && /\((wamid\.[^)]+)\)/.exec(outcome.providerDetail ?? '')?.[1],
    );

    const tooLong = await send({ ...audio, caption: 'x'.repeat(4097) });
    expect(tooLong).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
    expect(graph.sends()).toHaveLength(2);
  });

  test("an audio caption's text that fails leaves the audio sent (never sent twice), saying so", async () => {
    graph.replyNext(
      { status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.AUDIO' }] } },
      graphError(400, 131000, 'Something went wrong'),
    );
    const outcome = await send({
      kind: 'media',
      url: 'https://files.example.com/hello.ogg',
      fileName: 'hello.ogg',
      contentType: 'audio/ogg',
      caption: 'Listen',
    });
    expect(outcome).toMatchObject({
      status: 'sent',
      providerMessageId: 'wamid.AUDIO',
      providerDetail: expect.stringContaining('the text message carrying it was not sent'),
    });
    expect(graph.sends()).toHaveLength(2);
  });

  test('a template parameter with a line break, a tab or more than 4 spaces once filled in is template_invalid, without calling Meta (132018)', async () => {
    const template = (
      overrides: Partial<Extract<RenderedMessage, { kind: 'whatsapp_template' }>>,
    ): RenderedMessage => ({
      kind: 'whatsapp_template',
      templateName: 'order_update',
      languageCode: 'en_US',
      parameters: ['Ada', '#1042'],
      ...overrides,
    });
    const cases: Array<[RenderedMessage, string]> = [
      [template({ parameters: ['Ada', '1 Main St\nSpringfield'] }), 'body parameter 2'],
      [template({ parameters: ['Ada\t', '#1042'] }), 'body parameter 1'],
      [template({ headerParameters: ['Ada     Lovelace'] }), 'header parameter 1'],
      [template({ buttonParameters: [{ index: 1, text: 'ord\r\n1042' }] }), 'button 1 parameter'],
    ];
    for (const [rendered, where] of cases) {
      const outcome = await send(rendered);
      expect(outcome).toMatchObject({
        status: 'failed',
        reason: 'template_invalid',
        retryable: false,
      });
      expect(JSON.stringify(outcome)).toContain(`WhatsApp template ${where} cannot hold`);
    }
    expect(graph.requests).toHaveLength(0);
    // Four spaces in a row are still fine.
    expect(await send(template({ parameters: ['Ada    L.', '#1042'] }))).toMatchObject({
      status: 'sent',
    });
  });

  test('a text over 4,096 characters (once its variables are filled in) is invalid content, without calling Meta', async () => {
    // "Text messages": body, "Maximum 4096 characters". Exactly 4,096 characters still go.
    expect(await send({ kind: 'text', text: 'x'.repeat(4096) })).toMatchObject({ status: 'sent' });
    graph.requests.length = 0;
    const outcome = await send({ kind: 'text', text: 'x'.repeat(4097) });
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
      detail: expect.stringContaining('4096'),
    });
    expect(graph.requests).toHaveLength(0);
  });

  test('a message type WhatsApp has not (a Messenger tag) is invalid content, without a call', async () => {
    expect(await send({ kind: 'messenger_tagged', tag: 'HUMAN_AGENT', text: 'Hi' })).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
    });
    expect(graph.requests).toHaveLength(0);
  });

  test('a contact without an E.164 number has no associated channel, without a call', async () => {
    expect(await send({ kind: 'text', text: 'Hi' }, { recipient: '0612345678' })).toMatchObject({
      status: 'failed',
      reason: 'no_associated_channel',
    });
    expect(graph.requests).toHaveLength(0);
  });

  test('a contact known by a business-scoped user ID is sent to as `recipient`, without `to`', async () => {
    for (const bsuid of ['US.13491208655302741918', 'US.ENT.11815799212886844830']) {
      graph.requests.length = 0;
      const outcome = await send({ kind: 'text', text: 'Hi' }, { recipient: bsuid });
      expect(outcome).toEqual({
        status: 'sent',
        providerMessageId: expect.stringMatching(/^wamid\./),
      });
      const [request] = graph.sends();
      expect(request?.json).toMatchObject({ recipient_type: 'individual', recipient: bsuid });
      expect(request?.json).not.toHaveProperty('to');
    }
  });

  test("the API takes a BSUID as an identity address on this provider's channels, as this adapter sends to one", () => {
    const { type, provider } = whatsappMetaDefinition;
    expect(takesBusinessScopedUserIds(type, provider)).toBe(true);
  });

  test('an address neither E.164 nor a BSUID has no associated channel, without a call', async () => {
    for (const recipient of ['us.13491208655302741918', 'US.1234-5678', 'ada@example.com']) {
      expect(await send({ kind: 'text', text: 'Hi' }, { recipient }), recipient).toMatchObject({
        status: 'failed',
        reason: 'no_associated_channel',
        detail: 'the contact has no E.164 phone number or business-scoped user ID for WhatsApp',
      });
    }
    expect(graph.requests).toHaveLength(0);
  });

  test('an authentication template to a BSUID is refused by Meta (131062): content_invalid, in its words', async () => {
    const outcome = await send(
      { kind: 'whatsapp_template', templateName: 'login_code', languageCode: 'en', parameters: [] },
      { recipient: 'US.13491208655302741918' },
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
    expect(outcome.status === 'failed' && outcome.detail).toContain(
      'Business-scoped User ID recipients are not supported for this message',
    );
  });

  test('a channel missing its token or phone number id is not connected, without a call', async () => {
    for (const channel of [
      whatsappChannel({ credentials: { appSecret: WHATSAPP_TEST_IDS.appSecret } }),
      whatsappChannel({ settings: { businessAccountId: WHATSAPP_TEST_IDS.businessAccountId } }),
    ]) {
      expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
        status: 'failed',
        reason: 'channel_not_connected',
        retryable: false,
      });
    }
    expect(graph.requests).toHaveLength(0);
  });
});

describe('what Meta answers becomes an outcome', () => {
  test('a token Meta does not accept (190) is credentials_rejected', async () => {
    const channel = whatsappChannel({
      credentials: { accessToken: 'EAA-revoked', appSecret: WHATSAPP_TEST_IDS.appSecret },
    });
    expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: expect.stringContaining('error 190/460'),
    });
  });

  test('a phone number id the token cannot see (100/33) is channel_not_connected', async () => {
    const channel = whatsappChannel({
      settings: { phoneNumberId: '999', businessAccountId: WHATSAPP_TEST_IDS.businessAccountId },
    });
    expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
    });
  });

  test('a throughput limit is retried after the time Meta says it will take', async () => {
    graph.replyNext({
      ...graphError(429, 130429, '(#130429) Rate limit hit'),
      headers: {
        'x-business-use-case-usage': JSON.stringify({
          [WHATSAPP_TEST_IDS.businessAccountId]: [
            { type: 'whatsapp', call_count: 100, estimated_time_to_regain_access: 2 },
          ],
        }),
      },
    });
    expect(await send({ kind: 'text', text: 'Hi' })).toMatchObject({
      status: 'failed',
      reason: 'rate_limited',
      retryable: true,
      retryAfterSeconds: 120,
    });
  });

  test('a 503 page without a Graph error is a transient network failure, after its Retry-After', async () => {
    graph.replyNext({ status: 503, body: 'upstream unavailable', headers: { 'retry-after': '7' } });
    expect(await send({ kind: 'text', text: 'Hi' })).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: true,
      retryAfterSeconds: 7,
    });
  });

  test('a Graph that cannot be reached is a transient network failure', async () => {
    const outcome = await worker.send(whatsappMessage({ kind: 'text', text: 'Hi' }), {
      allowPrivateUrls: false,
      endpoints: { GRAPH_API_URL: 'http://127.0.0.1:1', GRAPH_API_VERSION: TEST_GRAPH_VERSION },
    });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'network', retryable: true });
  });
});
