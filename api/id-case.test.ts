import { beforeAll, describe, expect, it } from 'vitest';
import { webhookMessages } from '../db/schema';
import { type Json, type TestWorkspace, useTestApi } from './test-support';

/**
 * UUIDs are case-insensitive (RFC 9562 §4): every ID argument and input field takes one in any
 * letter case as the same row (api/id-args.ts). Another workspace's id stays not found in any
 * case (api/tenancy.test.ts runs each of its refusals in upper case too).
 */

const api = useTestApi({ dispatch: { async send() {} }, segments: { async send() {} } });

let owner: TestWorkspace;
let ids: {
  channel: string;
  contact: string;
  workflow: string;
  send: string;
  wait: string;
  snippet: string;
  file: string;
  endpoint: string;
  message: string;
};

const upper = (id: string) => id.toUpperCase();

async function ok(query: string, variables: Record<string, unknown> = {}): Promise<Json> {
  const result = await api.gql(owner.apiKey, query, variables);
  expect(result.errors, query).toBeUndefined();
  const payload = Object.values(result.data)[0] as Json;
  expect(payload.__typename, JSON.stringify(payload)).toMatch(/Success$/);
  return payload.data;
}

beforeAll(async () => {
  owner = await api.createWorkspace('Owner');
  const channel = await api.createChannel(owner.apiKey, 'CUSTOM');
  const contact = await ok(
    'mutation { createContact(input: { firstName: "Ada" }) { __typename ... on MutationCreateContactSuccess { data { id } } } }',
  );
  const workflow = await ok(
    'mutation { createWorkflow(input: { name: "Case" }) { __typename ... on MutationCreateWorkflowSuccess { data { id } } } }',
  );
  const send = await ok(
    `mutation ($input: AddSendMessageStepInput!) { addSendMessageStep(input: $input) { __typename ... on MutationAddSendMessageStepSuccess { data { id } } } }`,
    {
      input: {
        workflowId: workflow.id,
        config: {
          channel: { kind: 'SPECIFIC', channelId: channel },
          defaultMessage: { text: 'Hi' },
        },
      },
    },
  );
  const wait = await ok(
    'mutation ($w: ID!) { addWaitStep(input: { workflowId: $w, seconds: 60 }) { __typename ... on MutationAddWaitStepSuccess { data { id } } } }',
    { w: workflow.id },
  );
  // A publishable graph even when the upper-case edits below are not run first.
  await ok(
    'mutation ($w: ID!, $s: ID!) { setEntryStep(workflowId: $w, stepId: $s) { __typename ... on MutationSetEntryStepSuccess { data { id } } } }',
    { w: workflow.id, s: send.id },
  );
  const snippet = await ok(
    'mutation { createSnippet(input: { name: "sig", body: "Bye" }) { __typename ... on MutationCreateSnippetSuccess { data { id } } } }',
  );
  const file = await ok(
    'mutation { createFile(input: { name: "a.png", contentType: "image/png", sizeBytes: 10, url: "https://cdn.example.com/a.png" }) { __typename ... on MutationCreateFileSuccess { data { id } } } }',
  );
  const endpoint = await ok(
    'mutation { createWebhookEndpoint(input: { url: "https://partner.example/hooks" }) { __typename ... on MutationCreateWebhookEndpointSuccess { data { endpoint { id } } } } }',
  );
  const message = `msg_${crypto.randomUUID().replaceAll('-', '')}`;
  await api.db.insert(webhookMessages).values({
    id: message,
    workspaceId: owner.workspaceId,
    endpointId: endpoint.endpoint.id,
    eventCursor: 1,
    eventType: 'delivery.sent',
    status: 'failed',
  });
  ids = {
    channel,
    contact: contact.id,
    workflow: workflow.id,
    send: send.id,
    wait: wait.id,
    snippet: snippet.id,
    file: file.id,
    endpoint: endpoint.endpoint.id,
    message,
  };
});

describe('ids in upper case address the same rows', () => {
  // Each query is asked with the ids as stored and in upper case: the answers must be the same.
  const queries: [string, () => Record<string, string>][] = [
    ['query ($id: ID!) { channel(id: $id) { id name } }', () => ({ id: ids.channel })],
    ['query ($id: ID!) { contact(id: $id) { id firstName } }', () => ({ id: ids.contact })],
    ['query ($id: ID!) { workflow(id: $id) { id steps { id } } }', () => ({ id: ids.workflow })],
    ['query ($id: ID!) { snippet(id: $id) { id name } }', () => ({ id: ids.snippet })],
    ['query ($id: ID!) { file(id: $id) { id name } }', () => ({ id: ids.file })],
    ['query ($id: ID!) { webhookEndpoint(id: $id) { id url } }', () => ({ id: ids.endpoint })],
    ['query ($id: ID!) { webhookMessage(id: $id) { id status } }', () => ({ id: ids.message })],
    [
      'query ($id: ID!) { webhookMessages(filter: { endpointId: $id }) { totalCount nodes { id } } }',
      () => ({ id: ids.endpoint }),
    ],
    [
      'query ($s: ID!, $c: ID!) { previewStep(stepId: $s, contactId: $c) { __typename ... on QueryPreviewStepSuccess { data { recipient } } } }',
      () => ({ s: ids.send, c: ids.contact }),
    ],
  ];

  it.each(queries)('%s', async (query, variables) => {
    const asStored = await api.gql(owner.apiKey, query, variables());
    const upperCased = await api.gql(
      owner.apiKey,
      query,
      Object.fromEntries(Object.entries(variables()).map(([k, v]) => [k, upper(v)])),
    );
    expect(asStored.errors).toBeUndefined();
    const answer = Object.values(asStored.data)[0] as Json;
    expect(answer).not.toBeNull();
    expect(answer.__typename ?? 'row').not.toMatch(/Error$/);
    expect(upperCased).toEqual(asStored);
  });

  it('edits a workflow graph through upper-case step and workflow ids', async () => {
    const connected = await ok(
      'mutation ($s: ID!, $n: ID) { connectSteps(stepId: $s, nextStepId: $n) { __typename ... on MutationConnectStepsSuccess { data { id nextStepId } } } }',
      { s: upper(ids.send), n: upper(ids.wait) },
    );
    expect(connected).toEqual({ id: ids.send, nextStepId: ids.wait });
    const entry = await ok(
      'mutation ($w: ID!, $s: ID!) { setEntryStep(workflowId: $w, stepId: $s) { __typename ... on MutationSetEntryStepSuccess { data { id entryStep { id } } } } }',
      { w: upper(ids.workflow), s: upper(ids.send) },
    );
    expect(entry).toEqual({ id: ids.workflow, entryStep: { id: ids.send } });
    const renamed = await ok(
      'mutation ($w: ID!) { updateWorkflow(input: { id: $w, name: "Renamed" }) { __typename ... on MutationUpdateWorkflowSuccess { data { id name } } } }',
      { w: upper(ids.workflow) },
    );
    expect(renamed).toEqual({ id: ids.workflow, name: 'Renamed' });
    const waited = await ok(
      'mutation ($s: ID!) { updateWaitStep(input: { stepId: $s, seconds: 120 }) { __typename ... on MutationUpdateWaitStepSuccess { data { id } } } }',
      { s: upper(ids.wait) },
    );
    expect(waited).toEqual({ id: ids.wait });
  });

  it('publishes, starts, lists and cancels runs through upper-case ids', async () => {
    await ok(
      'mutation ($w: ID!) { publishWorkflow(workflowId: $w) { __typename ... on MutationPublishWorkflowSuccess { data { version { id } } } } }',
      { w: upper(ids.workflow) },
    );
    const started = await ok(
      'mutation ($input: StartWorkflowInput!) { startWorkflow(input: $input) { __typename ... on MutationStartWorkflowSuccess { data { runs { id workflowId contactId } } } } }',
      { input: { workflowId: upper(ids.workflow), contactIds: [upper(ids.contact)] } },
    );
    const [run] = started.runs;
    expect(run).toMatchObject({ workflowId: ids.workflow, contactId: ids.contact });
    const listed = await api.gql(
      owner.apiKey,
      'query ($w: ID!, $c: ID!) { runs(filter: { workflowId: $w, contactId: $c }) { nodes { id } } }',
      { w: upper(ids.workflow), c: upper(ids.contact) },
    );
    expect(listed.data.runs.nodes).toEqual([{ id: run.id }]);
    const read = await api.gql(owner.apiKey, 'query ($id: ID!) { run(id: $id) { id } }', {
      id: upper(run.id),
    });
    expect(read.data.run).toEqual({ id: run.id });
    const cancelled = await ok(
      'mutation ($id: ID!) { cancelRun(id: $id) { __typename ... on MutationCancelRunSuccess { data { id status } } } }',
      { id: upper(run.id) },
    );
    expect(cancelled).toEqual({ id: run.id, status: 'EXITED' });
    const segment = await ok(
      'mutation ($w: ID!) { startWorkflowForSegment(input: { workflowId: $w, filter: {} }) { __typename ... on MutationStartWorkflowForSegmentSuccess { data { id } } } }',
      { w: upper(ids.workflow) },
    );
    const starts = await api.gql(
      owner.apiKey,
      'query ($w: ID!, $id: ID!) { segmentStarts(workflowId: $w) { id } segmentStart(id: $id) { id } }',
      { w: upper(ids.workflow), id: upper(segment.id) },
    );
    expect(starts.data).toEqual({
      segmentStarts: [{ id: segment.id }],
      segmentStart: { id: segment.id },
    });
  });

  it("changes a contact's channel and library rows through upper-case ids", async () => {
    const identity = await ok(
      'mutation ($c: ID!, $ch: ID!) { upsertContactIdentity(input: { contactId: $c, channelId: $ch, address: "https://x.example/ada" }) { __typename ... on MutationUpsertContactIdentitySuccess { data { contact { id } channel { id } } } } }',
      { c: upper(ids.contact), ch: upper(ids.channel) },
    );
    expect(identity).toEqual({ contact: { id: ids.contact }, channel: { id: ids.channel } });
    const last = await ok(
      'mutation ($c: ID!, $ch: ID) { setLastInteractedChannel(contactId: $c, channelId: $ch) { __typename ... on MutationSetLastInteractedChannelSuccess { data { id lastInteractedChannel { id } } } } }',
      { c: upper(ids.contact), ch: upper(ids.channel) },
    );
    expect(last).toEqual({ id: ids.contact, lastInteractedChannel: { id: ids.channel } });
    const filtered = await api.gql(
      owner.apiKey,
      'query ($ch: ID!) { contacts(filter: { hasChannel: $ch }) { nodes { id } } }',
      { ch: upper(ids.channel) },
    );
    expect(filtered.data.contacts.nodes).toEqual([{ id: ids.contact }]);
    for (const [field, id] of [
      ['updateSnippet', ids.snippet],
      ['updateFile', ids.file],
      ['updateChannel', ids.channel],
    ] as const) {
      const input = field === 'updateFile' ? '{ name: "b.png" }' : '{ name: "renamed" }';
      const success = `Mutation${field[0]!.toUpperCase()}${field.slice(1)}Success`;
      const data = await ok(
        `mutation ($id: ID!) { ${field}(id: $id, input: ${input}) { __typename ... on ${success} { data { id } } } }`,
        { id: upper(id) },
      );
      expect(data).toEqual({ id });
    }
    const endpoint = await ok(
      'mutation ($id: ID!, $w: ID) { updateWebhookEndpoint(id: $id, input: { filter: { workflowId: $w } }) { __typename ... on MutationUpdateWebhookEndpointSuccess { data { id filter { workflowId } } } } }',
      { id: upper(ids.endpoint), w: upper(ids.workflow) },
    );
    expect(endpoint).toEqual({ id: ids.endpoint, filter: { workflowId: ids.workflow } });
    const replayed = await ok(
      'mutation ($id: ID!) { replayWebhookMessage(id: $id) { __typename ... on MutationReplayWebhookMessageSuccess { data { id } } } }',
      { id: upper(ids.message) },
    );
    expect(replayed).toEqual({ id: ids.message });
  });

  it('still answers a malformed id with the same typed error', async () => {
    const result = await api.gql(
      owner.apiKey,
      'mutation { deleteSnippet(id: "NOT-A-UUID") { __typename ... on NotFoundError { entity id } } }',
    );
    expect(result.data.deleteSnippet).toEqual({
      __typename: 'NotFoundError',
      entity: 'Snippet',
      id: 'NOT-A-UUID',
    });
  });
});
