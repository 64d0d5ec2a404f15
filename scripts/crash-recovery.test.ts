import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../test/fakes/webhook-receiver';
import {
  npmStart,
  type StartedProcess,
  signalGroup,
  startedApi,
  stopGroup,
} from '../test/npm-start';

/**
 * A crash in the middle of a batch: `npm start` (Worker, queue, embedded Postgres) is killed
 * with SIGKILL while a custom channel's endpoint is still answering the batch's sends, then
 * started again on the same data folder. Every run must end within about two minutes of the
 * restart (the claims' 60-second lease runs out, the minute sweep re-enqueues them), and every
 * send must be recorded once, any repeat carrying the same idempotency key.
 */

const RUNS = 24;
const SECRET = `whsec_${Buffer.from('sendflow-crash-test-signing-key!').toString('base64')}`;
/** About two minutes after the restart, plus a margin for a loaded machine. */
const RECOVERY_LIMIT_MS = 150_000;

// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary response shapes
type Json = any;

async function graphql(url: string, apiKey: string, query: string, variables?: object) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body: Json = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** The one mutation result of `data`, checked to be a success; its `data`. */
function success(data: Json): Json {
  const [result] = Object.values(data) as Json[];
  if (!result.__typename.endsWith('Success')) throw new Error(JSON.stringify(result));
  return result.data;
}

async function setUp(url: string, apiKey: string, endpoint: string): Promise<string> {
  const channel = success(
    await graphql(
      url,
      apiKey,
      `mutation($input: CreateChannelInput!) { createChannel(input: $input) {
        __typename ... on MutationCreateChannelSuccess { data { id } } ... on ValidationError { issues { message } } } }`,
      {
        input: {
          type: 'CUSTOM',
          name: 'Crash endpoint',
          settings: { custom: { url: endpoint } },
          credentials: { custom: { signingSecret: SECRET } },
        },
      },
    ),
  );
  const workflow = success(
    await graphql(
      url,
      apiKey,
      `mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) {
        __typename ... on MutationCreateWorkflowSuccess { data { id } } } }`,
      { input: { name: 'Crash' } },
    ),
  );
  success(
    await graphql(
      url,
      apiKey,
      `mutation($input: AddSendMessageStepInput!) { addSendMessageStep(input: $input) {
        __typename ... on MutationAddSendMessageStepSuccess { data { id } }
        ... on ValidationError { issues { message } } } }`,
      {
        input: {
          workflowId: workflow.id,
          name: 'Hello',
          config: {
            channel: { kind: 'SPECIFIC', channelId: channel.id },
            defaultMessage: { text: 'Hello $contact.name' },
          },
        },
      },
    ),
  );
  success(
    await graphql(
      url,
      apiKey,
      `mutation($id: ID!) { publishWorkflow(workflowId: $id) {
        __typename ... on MutationPublishWorkflowSuccess { data { version { id } } } } }`,
      { id: workflow.id },
    ),
  );
  const contactIds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const contact = success(
      await graphql(
        url,
        apiKey,
        `mutation($input: ContactInput!) { createContact(input: $input) {
          __typename ... on MutationCreateContactSuccess { data { id } } } }`,
        { input: { firstName: 'Crash', lastName: `${i}` } },
      ),
    );
    contactIds.push(contact.id);
  }
  success(
    await graphql(
      url,
      apiKey,
      `mutation($input: StartWorkflowInput!) { startWorkflow(input: $input) {
        __typename ... on MutationStartWorkflowSuccess { data { runCount } } } }`,
      { input: { workflowId: workflow.id, contactIds } },
    ),
  );
  return workflow.id;
}

async function runsOf(url: string, apiKey: string, workflowId: string): Promise<Json[]> {
  const data = await graphql(
    url,
    apiKey,
    `query($id: ID!) { runs(first: 100, filter: { workflowId: $id }) {
      nodes { id status deliveries { id status attempts } } } }`,
    { id: workflowId },
  );
  return data.runs.nodes;
}

describe('a crash in the middle of a batch', () => {
  let dataDir: string | undefined;
  let receiver: WebhookReceiver | undefined;
  let started: StartedProcess | undefined;

  afterAll(async () => {
    await stopGroup(started);
    await receiver?.close();
    if (dataDir)
      await rm(dataDir, {
        recursive: true,
        force: true,
        // Postgres' own processes may still be finishing their last writes after the group exits.
        maxRetries: 10,
        retryDelay: 200,
      });
  }, 60_000);

  it('ends every run within about two minutes of the restart, each send recorded once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sendflow-crash-'));
    receiver = await startWebhookReceiver(SECRET);
    // Slow answers keep the batch's sends in flight when the process dies.
    receiver.respondWith((_request, index) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `msg_${index}` }),
      delayMs: 4_000,
    }));
    started = npmStart(dataDir);
    const first = await startedApi(started);
    const workflowId = await setUp(first.url, first.apiKey, receiver.url);

    for (let i = 0; i < 600 && receiver.requests.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(receiver.requests.length).toBeGreaterThanOrEqual(3);
    signalGroup(started, 'SIGKILL');
    await started.exited;

    receiver.respondWith((_request, index) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `msg_after_${index}` }),
    }));
    started = npmStart(dataDir);
    const second = await startedApi(started);
    const restartedAt = Date.now();

    let runs: Json[] = [];
    while (Date.now() - restartedAt < RECOVERY_LIMIT_MS) {
      runs = await runsOf(second.url, second.apiKey, workflowId);
      if (runs.length === RUNS && runs.every((run) => run.status !== 'ACTIVE')) break;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    expect(runs).toHaveLength(RUNS);
    expect(runs.filter((run) => run.status !== 'COMPLETED')).toEqual([]);

    // One delivery per run, sent; the endpoint saw each delivery under one idempotency key.
    const deliveryIds = runs.flatMap((run) => run.deliveries.map((d: Json) => d.id));
    expect(deliveryIds).toHaveLength(RUNS);
    expect(runs.every((run) => run.deliveries[0].status === 'SENT')).toBe(true);
    const keys = new Set(receiver.requests.map((request) => request.idempotencyKey));
    expect(keys).toEqual(new Set(deliveryIds));
    for (const id of deliveryIds) {
      const sends = receiver.requests.filter((request) => request.idempotencyKey === id);
      expect(new Set(sends.map((send) => send.headers['webhook-id'])).size).toBe(1);
    }
    expect(receiver.requests.filter((request) => request.signatureError)).toEqual([]);
    // Some sends were in flight at the crash and were repeated, with the same key.
    expect(receiver.requests.length).toBeGreaterThan(RUNS);
  }, 900_000);
});
