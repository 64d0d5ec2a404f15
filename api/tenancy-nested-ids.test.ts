import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/rows';
import { channels, files, snippets, steps } from '../db/schema';
import { type Json, useTestApi } from './test-support';
import {
  rowCounts,
  seedLibrary,
  TEST_WHATSAPP_TEMPLATES,
  textConfig,
  workflowClient,
} from './workflows/test-fixtures';

/**
 * Ids of workspace B passed by workspace A inside inputs that api/tenancy.test.ts and
 * api/schema/workflow-tenancy.test.ts do not reach: file ids in email attachments, channel
 * responses and template headers, snippets in an email's subject and body, another
 * workspace's step as an entry step, a draft row naming B's library at publish time, webhook
 * filters naming B's channel or contact, verifyChannel on B's channel, and the answers for
 * B's ids, which must read exactly like those for ids that exist nowhere (no existence oracle).
 */

const api = useTestApi();
let workspaceIds: string[];
let aKey: string;
let a: ReturnType<typeof workflowClient>;
let aLibrary: Awaited<ReturnType<typeof seedLibrary>>;
let aWorkflowId: string;
let aStepId: string;
let bKey: string;
let bLibrary: Awaited<ReturnType<typeof seedLibrary>>;
let bImageId: string;
let bContactId: string;
let bWorkflowId: string;
let bStepId: string;

beforeAll(async () => {
  const workspaceA = await api.createWorkspace('A');
  const workspaceB = await api.createWorkspace('B');
  workspaceIds = [workspaceA.workspaceId, workspaceB.workspaceId];
  aKey = workspaceA.apiKey;
  bKey = workspaceB.apiKey;
  a = workflowClient(api, aKey);
  aLibrary = await seedLibrary(api.db, workspaceA.workspaceId);
  bLibrary = await seedLibrary(api.db, workspaceB.workspaceId);
  // A's WhatsApp account has a template with an IMAGE header, which a library image fills.
  await api.db
    .update(channels)
    .set({
      templates: [
        ...TEST_WHATSAPP_TEMPLATES,
        {
          name: 'photo_offer',
          language: 'en',
          status: 'APPROVED',
          category: 'MARKETING',
          bodyParameters: 0,
          otherParameters: 0,
          headerFormat: 'IMAGE',
        },
      ],
      templatesSyncedAt: new Date(),
    })
    .where(eq(channels.id, aLibrary.whatsapp.id));
  const [image] = await api.db
    .insert(files)
    .values({
      workspaceId: workspaceB.workspaceId,
      name: 'b.png',
      contentType: 'image/png',
      sizeBytes: 1024,
      url: 'https://files.example.com/b.png',
    })
    .returning();
  bImageId = image!.id;
  await api.db
    .insert(snippets)
    .values({ workspaceId: workspaceB.workspaceId, name: 'b_only', body: 'B' });
  const contact = await api.gql(
    bKey,
    'mutation { createContact(input: { firstName: "B", email: "b@example.com" }) { ... on MutationCreateContactSuccess { data { id } } } }',
  );
  bContactId = contact.data.createContact.data.id;

  const b = workflowClient(api, bKey);
  bWorkflowId = (await b.createWorkflow('B own')).id;
  bStepId = (
    await b.ok('addSendMessageStep', {
      input: { workflowId: bWorkflowId, config: textConfig(bLibrary.sms.id) },
    })
  ).id;

  aWorkflowId = (await a.createWorkflow('A own')).id;
  aStepId = (
    await a.ok('addSendMessageStep', {
      input: { workflowId: aWorkflowId, config: textConfig(aLibrary.email.id) },
    })
  ).id;
});

describe("workspace A's key and workspace B's ids inside inputs", () => {
  it("refuses B's files and snippets in every place a step config names them", async () => {
    const before = await rowCounts(api.db, workspaceIds);
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'email attachment',
        { ...textConfig(aLibrary.email.id), email: { attachments: [bLibrary.file.id] } },
        'UNKNOWN_FILE',
      ],
      [
        'channel response media',
        {
          ...textConfig(aLibrary.email.id),
          channelResponses: [{ channelId: aLibrary.telegram.id, media: { fileId: bImageId } }],
        },
        'UNKNOWN_FILE',
      ],
      [
        'template header media',
        {
          ...textConfig(aLibrary.email.id),
          channelResponses: [
            {
              channelId: aLibrary.whatsapp.id,
              whatsappTemplate: {
                templateName: 'photo_offer',
                languageCode: 'en',
                headerMedia: { format: 'IMAGE', fileId: bImageId },
              },
            },
          ],
        },
        'UNKNOWN_FILE',
      ],
      [
        'snippet in the email subject',
        { ...textConfig(aLibrary.email.id), email: { subject: 'Hi $snippet.b_only' } },
        'UNKNOWN_SNIPPET',
      ],
      [
        'snippet in the email body',
        {
          ...textConfig(aLibrary.email.id),
          email: { body: [{ type: 'PARAGRAPH', spans: [{ text: 'Hi $snippet.b_only' }] }] },
        },
        'UNKNOWN_SNIPPET',
      ],
      [
        'snippet in a channel response',
        {
          ...textConfig(aLibrary.email.id),
          channelResponses: [{ channelId: aLibrary.sms.id, text: '$snippet.b_only' }],
        },
        'UNKNOWN_SNIPPET',
      ],
    ];
    const stepBefore = await api.db.select().from(steps).where(eq(steps.id, aStepId));
    for (const [label, config, code] of cases) {
      const added = await a.run('addSendMessageStep', {
        input: { workflowId: aWorkflowId, config },
      });
      expect(added.__typename, label).toBe('ValidationError');
      expect(
        added.issues?.map((issue) => issue.code),
        label,
      ).toContain(code);
      const updated = await a.run('updateSendMessageStep', { input: { stepId: aStepId, config } });
      expect(updated.__typename, label).toBe('ValidationError');
      expect(
        updated.issues?.map((issue) => issue.code),
        label,
      ).toContain(code);
    }
    expect(await rowCounts(api.db, workspaceIds)).toEqual(before);
    expect(await api.db.select().from(steps).where(eq(steps.id, aStepId))).toEqual(stepBefore);
  });

  it("refuses B's step as the entry step of A's workflow", async () => {
    const result = await a.run('setEntryStep', { workflowId: aWorkflowId, stepId: bStepId });
    expect(result.issues?.map((issue) => issue.code)).toEqual(['STEP_NOT_IN_WORKFLOW']);
    const [row] = await queryRows<{ entry_step_id: string | null }>(
      api.db,
      sql`select entry_step_id from workflows where id = ${aWorkflowId}::uuid`,
    );
    expect(row!.entry_step_id).not.toBe(bStepId);
  });

  it("refuses to publish a draft whose stored config names B's channel, file or snippet", async () => {
    // The API never stores such a config; publishing must not freeze one written another way.
    const workflowId = (await a.createWorkflow('Tampered')).id;
    const stepId = (
      await a.ok('addSendMessageStep', {
        input: { workflowId, config: textConfig(aLibrary.email.id) },
      })
    ).id;
    await api.db
      .update(steps)
      .set({
        config: {
          channel: { kind: 'specific', channelId: bLibrary.email.id },
          defaultMessage: { type: 'text', text: 'Hi $snippet.b_only' },
          channelResponses: [
            { channelId: bLibrary.sms.id, content: { type: 'media', fileId: bImageId } },
          ],
          email: { attachments: [bLibrary.file.id] },
          failureBranchEnabled: false,
        },
      })
      .where(eq(steps.id, stepId));
    const versionsBefore = (await rowCounts(api.db, workspaceIds)).versions;
    const published = await a.run('publishWorkflow', { workflowId });
    expect(published.__typename).toBe('PublishRejected');
    const codes = published.report.errors.map((issue: Json) => issue.code);
    expect(codes).toEqual(
      expect.arrayContaining(['CHANNEL_NOT_FOUND', 'UNKNOWN_SNIPPET', 'UNKNOWN_FILE']),
    );
    expect((await rowCounts(api.db, workspaceIds)).versions).toBe(versionsBefore);
  });

  it("refuses webhook filters naming B's channel or contact, on create and on update", async () => {
    const CREATE = /* GraphQL */ `
      mutation ($input: CreateWebhookEndpointInput!) {
        createWebhookEndpoint(input: $input) {
          __typename
          ... on MutationCreateWebhookEndpointSuccess { data { endpoint { id } } }
          ... on ValidationError { issues { code path message } }
        }
      }
    `;
    const UPDATE = /* GraphQL */ `
      mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) {
        updateWebhookEndpoint(id: $id, input: $input) {
          __typename
          ... on ValidationError { issues { code path message } }
        }
      }
    `;
    const url = 'https://hooks.partner.example/a';
    const created = await api.gql(aKey, CREATE, { input: { url } });
    const endpointId = created.data.createWebhookEndpoint.data.endpoint.id;
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    for (const [key, foreign] of [
      ['channelId', bLibrary.sms.id],
      ['contactId', bContactId],
      ['workflowId', bWorkflowId],
    ] as const) {
      const refusedCreate = (
        await api.gql(aKey, CREATE, { input: { url, filter: { [key]: foreign } } })
      ).data.createWebhookEndpoint;
      const refusedUpdate = (
        await api.gql(aKey, UPDATE, { id: endpointId, input: { filter: { [key]: foreign } } })
      ).data.updateWebhookEndpoint;
      const unknownUpdate = (
        await api.gql(aKey, UPDATE, { id: endpointId, input: { filter: { [key]: unknown } } })
      ).data.updateWebhookEndpoint;
      for (const refused of [refusedCreate, refusedUpdate]) {
        expect(refused.__typename, key).toBe('ValidationError');
        expect(refused.issues, key).toEqual([
          { code: 'INVALID_VALUE', path: `filter.${key}`, message: expect.any(String) },
        ]);
        // B's id reads exactly like an id that exists nowhere.
        expect(refused.issues[0].message.replace(foreign, '<id>')).toBe(
          unknownUpdate.issues[0].message.replace(unknown, '<id>'),
        );
      }
    }
    const [row] = await queryRows<Json>(
      api.db,
      sql`select workflow_id, channel_id, contact_id from webhook_endpoints where id = ${endpointId}::uuid`,
    );
    expect(row).toEqual({ workflow_id: null, channel_id: null, contact_id: null });
    const listed = await api.gql(aKey, '{ webhookEndpoints { totalCount } }');
    expect(listed.data.webhookEndpoints.totalCount).toBe(1);
  });

  it("answers NotFoundError for verifyChannel on B's channel and leaves it untouched", async () => {
    const bChannelId = await api.createChannel(bKey, 'TELEGRAM', 'B bot');
    const [before] = await api.db.select().from(channels).where(eq(channels.id, bChannelId));
    const result = await api.gql(
      aKey,
      'mutation ($id: ID!) { verifyChannel(id: $id) { __typename ... on NotFoundError { id message } ... on MutationVerifyChannelSuccess { data { id callback { verifyToken } } } } }',
      { id: bChannelId },
    );
    expect(result.data.verifyChannel).toEqual({
      __typename: 'NotFoundError',
      id: bChannelId,
      message: `Channel ${bChannelId} was not found`,
    });
    const [after] = await api.db.select().from(channels).where(eq(channels.id, bChannelId));
    expect(after).toEqual(before);
  });

  it("lists none of B's webhook messages when filtered by B's endpoint", async () => {
    const created = await api.gql(
      bKey,
      'mutation { createWebhookEndpoint(input: { url: "https://hooks.partner.example/b" }) { ... on MutationCreateWebhookEndpointSuccess { data { endpoint { id } } } } }',
    );
    const endpointId = created.data.createWebhookEndpoint.data.endpoint.id;
    const listed = await api.gql(
      aKey,
      'query ($id: ID!) { webhookMessages(filter: { endpointId: $id }) { totalCount nodes { id } } }',
      { id: endpointId },
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data.webhookMessages).toEqual({ totalCount: 0, nodes: [] });
  });
});

describe('no existence oracle', () => {
  it("answers B's ids exactly as ids that exist nowhere, field by field", async () => {
    const aContactId = (
      await api.gql(
        aKey,
        'mutation { createContact(input: { firstName: "A" }) { ... on MutationCreateContactSuccess { data { id } } } }',
      )
    ).data.createContact.data.id;
    const aPublishedWorkflowId = (await a.createWorkflow('A published')).id;
    await a.ok('addWaitStep', { input: { workflowId: aPublishedWorkflowId, seconds: 5 } });
    await a.ok('publishWorkflow', { workflowId: aPublishedWorkflowId });
    const bChannelId = bLibrary.sms.id;
    const bFileId = bLibrary.file.id;
    const [bSnippet] = await api.db
      .select({ id: snippets.id })
      .from(snippets)
      .where(eq(snippets.name, 'b_only'));
    const unknown = '00000000-0000-4000-8000-000000000042';
    const NOT_FOUND = '__typename ... on NotFoundError { entity id message }';
    const ISSUES = '... on ValidationError { issues { code path message } }';
    const attempts: [string, (id: string) => Record<string, unknown>][] = [
      [`mutation ($id: ID!) { deleteChannel(id: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [`mutation ($id: ID!) { verifyChannel(id: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [
        `mutation ($id: ID!) { updateChannel(id: $id, input: { name: "x" }) { ${NOT_FOUND} } }`,
        (id) => ({ id }),
      ],
      [`mutation ($id: ID!) { deleteFile(id: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [`mutation ($id: ID!) { deleteSnippet(id: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [`mutation ($id: ID!) { deleteContact(id: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [`mutation ($id: ID!) { deleteWorkflow(id: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [`mutation ($id: ID!) { deleteStep(stepId: $id) { ${NOT_FOUND} } }`, (id) => ({ id })],
      [
        `mutation ($c: ID!, $id: ID!) { setLastInteractedChannel(contactId: $c, channelId: $id) { ${NOT_FOUND} ${ISSUES} } }`,
        (id) => ({ id, c: aContactId }),
      ],
      [
        `mutation ($w: ID!, $id: ID!) { startWorkflow(input: { workflowId: $w, contactIds: [$id] }) { ${NOT_FOUND} ${ISSUES} } }`,
        (id) => ({ id, w: aPublishedWorkflowId }),
      ],
    ];

    const foreignIds: Record<string, string> = {
      deleteChannel: bChannelId,
      verifyChannel: bChannelId,
      updateChannel: bChannelId,
      deleteFile: bFileId,
      deleteSnippet: bSnippet!.id,
      deleteContact: bContactId,
      deleteWorkflow: bWorkflowId,
      deleteStep: bStepId,
      setLastInteractedChannel: bChannelId,
      startWorkflow: bContactId,
    };
    for (const [query, variables] of attempts) {
      const field = /\{ (\w+)\(/.exec(query)![1]!;
      const foreign = foreignIds[field]!;
      const seenForeign = await api.gql(aKey, query, variables(foreign));
      const seenUnknown = await api.gql(aKey, query, variables(unknown));
      expect(seenForeign.errors, field).toBeUndefined();
      expect(seenForeign.data[field].__typename, field).toMatch(/NotFoundError|ValidationError/);
      expect(JSON.stringify(seenForeign.data).replaceAll(foreign, '<id>'), field).toBe(
        JSON.stringify(seenUnknown.data).replaceAll(unknown, '<id>'),
      );
    }
    // Nothing of B's changed.
    expect(
      await api.db.select({ id: channels.id }).from(channels).where(eq(channels.id, bChannelId)),
    ).toHaveLength(1);
    expect(await api.db.select().from(files).where(eq(files.id, bFileId))).toHaveLength(1);
  });
});
