import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Json, useTestApi } from '../../api/test-support';
import { CredentialCipher } from '../../db/credentials';
import { eventLogRows } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  verifyStandardWebhook,
  type WebhookReceiver,
} from '../../test/fakes/webhook-receiver';
import { deliverWebhookMessages, type WebhookDeliveryDeps } from './deliver';
import { fanOutAndEnqueue } from './fanout';
import {
  MAX_WEBHOOK_ATTEMPTS,
  RESPONSE_EXCERPT_BYTES,
  RETRY_SCHEDULE_SECONDS,
  WEBHOOK_CONCURRENCY,
  WEBHOOK_LEASE_SECONDS,
} from './limits';
import { encryptSecret } from './secrets';
import { sweepWebhooks } from './sweep';
import { appendRunEvents, type RecordingQueue, recordingQueue } from './test-support';

/**
 * Webhook delivery in Node against the test Postgres and a real HTTP receiver: endpoints are
 * created and rotated through the GraphQL API, events appended to the log, and the consumer's
 * clock is moved by the test to walk the retry schedule. Signatures are checked with the
 * `standardwebhooks` reference library.
 */

const queue: RecordingQueue = recordingQueue();
const api = useTestApi({ allowPrivateUrls: true, webhookQueue: queue });
const cipher = new CredentialCipher(api.credentialsKey);
let receiver: WebhookReceiver;

beforeAll(async () => {
  // The receiver's own check needs a secret; tests verify with the endpoint's secrets instead.
  receiver = await startWebhookReceiver('whsec_AAAA');
});
afterAll(() => receiver?.close());

const CREATE = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on MutationCreateWebhookEndpointSuccess { data { secret endpoint { id } } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const ROTATE = /* GraphQL */ `
  mutation ($id: ID!, $graceHours: Int) {
    rotateWebhookSecret(id: $id, graceHours: $graceHours) {
      __typename
      ... on MutationRotateWebhookSecretSuccess { data { secret endpoint { previousSecretExpiresAt } } }
    }
  }
`;
const ROTATE_WITH_ERRORS = /* GraphQL */ `
  mutation ($id: ID!, $graceHours: Int) {
    rotateWebhookSecret(id: $id, graceHours: $graceHours) {
      __typename
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const REPLAY_ONE = /* GraphQL */ `
  mutation ($id: ID!) {
    replayWebhookMessage(id: $id) {
      __typename
      ... on MutationReplayWebhookMessageSuccess { data { id status attemptCount } }
      ... on NotFoundError { entity }
    }
  }
`;
const REPLAY_SINCE = /* GraphQL */ `
  mutation ($endpointId: ID!, $since: DateTime!) {
    replayWebhookEndpoint(endpointId: $endpointId, since: $since) {
      __typename
      ... on MutationReplayWebhookEndpointSuccess { data { replayed continueFrom } }
    }
  }
`;
const ENABLE = /* GraphQL */ `
  mutation ($id: ID!) {
    updateWebhookEndpoint(id: $id, input: { enabled: true }) {
      ... on MutationUpdateWebhookEndpointSuccess { data { enabled disabledReason } }
    }
  }
`;
const ENDPOINT = /* GraphQL */ `
  query ($id: ID!) {
    webhookEndpoint(id: $id) {
      enabled disabledReason
      messages { nodes { id status attemptCount
        attempts { nodes { statusCode latencyMs responseExcerpt error succeeded attemptedAt } } } }
    }
  }
`;

/** A workspace with one endpoint at `url` (the receiver by default). */
async function endpointFor(url = receiver.url, input: Record<string, unknown> = {}) {
  const { workspaceId, apiKey } = await api.createWorkspace();
  const created = await api.gql(apiKey, CREATE, { input: { url, ...input } });
  const { secret, endpoint } = created.data.createWebhookEndpoint.data;
  return { workspaceId, apiKey, secret: secret as string, endpointId: endpoint.id as string };
}

function deps(now: Date, overrides: Partial<WebhookDeliveryDeps> = {}): WebhookDeliveryDeps {
  return {
    db: api.db,
    cipher,
    queue,
    allowPrivateUrls: true,
    now: () => now,
    ...overrides,
  };
}

/** Fans out the workspace's events and returns the new message ids (as the consumer would). */
async function fanOut(workspaceId: string, now = new Date()): Promise<string[]> {
  await fanOutAndEnqueue(api.db, queue, [workspaceId], now);
  return queue.take().map((message) => message.id);
}

/** The requests the receiver got for these message ids, in order. */
function receivedFor(ids: readonly string[]): ReceivedWebhook[] {
  return receiver.requests.filter((request) => ids.includes(String(request.headers['webhook-id'])));
}

/** Verifies with the reference library as if the clock read `at`. */
function verifyAt(secret: string, request: ReceivedWebhook, at: Date): unknown {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
  try {
    return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
  } finally {
    vi.useRealTimers();
  }
}

async function endpointState(apiKey: string, id: string): Promise<Json> {
  const result = await api.gql(apiKey, ENDPOINT, { id });
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.webhookEndpoint;
}

describe('webhook delivery', () => {
  it('signs each event once per endpoint with a stable msg_ id that the reference library verifies', async () => {
    const { workspaceId, secret } = await endpointFor();
    const events = await appendRunEvents(api.db, workspaceId, 3);
    const ids = await fanOut(workspaceId);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    // A second fan-out finds nothing new: an event becomes one message per endpoint.
    expect(await fanOut(workspaceId)).toEqual([]);

    const result = await deliverWebhookMessages(ids, deps(new Date()));
    expect(result).toEqual({ attempted: 3, succeeded: 3 });
    // Sent concurrently: ordered here by id as the events were.
    const received = ids.map((id) => receivedFor([id]));
    expect(received.map((copies) => copies.length)).toEqual([1, 1, 1]);
    for (const [index, [request]] of received.entries()) {
      if (!request) throw new Error('not received');
      const payload = new Webhook(secret).verify(
        request.body,
        request.headers as Record<string, string>,
      ) as Json;
      expect(payload).toMatchObject({
        type: 'run.started',
        v: 1,
        cursor: String(events[index]!.cursor),
        data: events[index]!.data,
      });
      expect(() =>
        new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(
          request.body,
          request.headers as Record<string, string>,
        ),
      ).toThrow();
    }
    // The same queue message again (a redelivery) sends nothing: the message is delivered.
    expect(await deliverWebhookMessages(ids, deps(new Date()))).toEqual({
      attempted: 0,
      succeeded: 0,
    });
    expect(receivedFor(ids)).toHaveLength(3);
  });

  it('retries on the schedule 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, recording every attempt, then gives up', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/failing`);
    receiver.respondWith((request) =>
      request.path.endsWith('/failing')
        ? { status: 503, body: 'x'.repeat(5000) }
        : { status: 200, body: '{}' },
    );
    await appendRunEvents(api.db, workspaceId, 1);
    const start = new Date();
    const [id] = await fanOut(workspaceId, start);
    let clock = start.getTime();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_WEBHOOK_ATTEMPTS; attempt++) {
      // Just before it is due, a queue message finds it not due and sends nothing.
      if (attempt > 1) {
        expect(await deliverWebhookMessages([id!], deps(new Date(clock - 1000)))).toMatchObject({
          attempted: 0,
        });
      }
      expect(await deliverWebhookMessages([id!], deps(new Date(clock)))).toMatchObject({
        attempted: 1,
        succeeded: 0,
      });
      const retry = queue.take();
      if (attempt < MAX_WEBHOOK_ATTEMPTS) {
        expect(retry).toEqual([{ id, delaySeconds: RETRY_SCHEDULE_SECONDS[attempt] }]);
        delays.push(retry[0]!.delaySeconds);
        clock += retry[0]!.delaySeconds * 1000;
      } else {
        expect(retry).toEqual([]);
      }
    }
    expect(delays).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    expect(receivedFor([id!])).toHaveLength(MAX_WEBHOOK_ATTEMPTS);
    const state = await endpointState(apiKey, endpointId);
    const [message] = state.messages.nodes;
    expect(message).toMatchObject({ id, status: 'FAILED', attemptCount: MAX_WEBHOOK_ATTEMPTS });
    expect(message.attempts.nodes).toHaveLength(MAX_WEBHOOK_ATTEMPTS);
    const times = message.attempts.nodes.map((node: Json) => Date.parse(node.attemptedAt));
    expect(times.map((time: number) => (time - start.getTime()) / 1000)).toEqual([
      0, 5, 305, 2105, 9305, 27_305, 63_305, 99_305,
    ]);
    for (const node of message.attempts.nodes) {
      expect(node).toMatchObject({ statusCode: 503, succeeded: false });
      expect(node.error).toContain('503');
      expect(node.responseExcerpt).toBe('x'.repeat(RESPONSE_EXCERPT_BYTES));
      expect(node.latencyMs).toBeGreaterThanOrEqual(0);
    }
    // Under a day of failure the endpoint stays enabled.
    expect(state.enabled).toBe(true);
  });

  it('disables an endpoint that answers 410 Gone at once, and logs webhook.endpoint_disabled', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/gone`);
    receiver.respondWith((request) =>
      request.path.endsWith('/gone') ? { status: 410, body: 'gone' } : { status: 200 },
    );
    await appendRunEvents(api.db, workspaceId, 2);
    const gone = await fanOut(workspaceId);
    await deliverWebhookMessages(gone, deps(new Date()));
    expect(queue.take()).toEqual([]);
    const state = await endpointState(apiKey, endpointId);
    expect(state).toMatchObject({ enabled: false, disabledReason: 'gone' });
    const logged = await queryRows<{ type: string; data: Json }>(
      api.db,
      sql`select type, data from ${eventLogRows(sql`${workspaceId}::uuid`)} e
          where type = 'webhook.endpoint_disabled'`,
    );
    expect(logged).toEqual([
      {
        type: 'webhook.endpoint_disabled',
        data: { endpoint: expect.objectContaining({ id: endpointId, reason: 'gone' }) },
      },
    ]);
    // A disabled endpoint gets no new messages.
    await appendRunEvents(api.db, workspaceId, 1);
    expect(await fanOut(workspaceId)).toEqual([]);
    // Turned back on, it gets what is logged from then on, not what happened meanwhile.
    const enabled = await api.gql(apiKey, ENABLE, { id: endpointId });
    expect(enabled.data.updateWebhookEndpoint.data).toEqual({
      enabled: true,
      disabledReason: null,
    });
    const [fresh] = await appendRunEvents(api.db, workspaceId, 1);
    const ids = await fanOut(workspaceId);
    expect(ids).toHaveLength(1);
    const [message] = await queryRows<{ event_cursor: string }>(
      api.db,
      sql`select event_cursor from webhook_messages where id = ${ids[0]}`,
    );
    expect(Number(message!.event_cursor)).toBe(Number(fresh!.cursor));
  });

  it('disables an endpoint after it failed continuously for the configured time, not before', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/down`);
    const other = await endpointFor(`${receiver.url}/ok`);
    receiver.respondWith((request) =>
      request.path.endsWith('/down') ? { status: 500 } : { status: 200 },
    );
    const start = Date.now();
    const day = 24 * 3_600_000;
    for (const [offset, expected] of [
      [0, true],
      [2 * day, true],
      [4.9 * day, true],
      [5.1 * day, false],
    ] as const) {
      await appendRunEvents(api.db, workspaceId, 1);
      const ids = await fanOut(workspaceId, new Date(start + offset));
      await deliverWebhookMessages(ids, deps(new Date(start + offset), { disableAfterHours: 120 }));
      queue.take();
      expect((await endpointState(apiKey, endpointId)).enabled).toBe(expected);
    }
    expect(await endpointState(apiKey, endpointId)).toMatchObject({ disabledReason: 'failing' });
    const [logged] = await queryRows<{ count: number }>(
      api.db,
      sql`select count(*)::int as count from ${eventLogRows(sql`${workspaceId}::uuid`)} e
          where type = 'webhook.endpoint_disabled'`,
    );
    expect(logged!.count).toBe(1);
    // Another workspace's healthy endpoint is untouched.
    expect((await endpointState(other.apiKey, other.endpointId)).enabled).toBe(true);
  });

  it('a success ends the failing streak, so days of intermittent failure do not disable', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/flaky`);
    let fail = true;
    receiver.respondWith((request) =>
      request.path.endsWith('/flaky') && fail ? { status: 500 } : { status: 200 },
    );
    const start = Date.now();
    const day = 24 * 3_600_000;
    for (const offset of [0, 3 * day, 4 * day, 6 * day]) {
      fail = offset !== 4 * day;
      await appendRunEvents(api.db, workspaceId, 1);
      const ids = await fanOut(workspaceId, new Date(start + offset));
      await deliverWebhookMessages(ids, deps(new Date(start + offset), { disableAfterHours: 120 }));
      queue.take();
    }
    expect((await endpointState(apiKey, endpointId)).enabled).toBe(true);
  });

  it('during a rotation grace period both secrets verify; after it only the new one', async () => {
    const { workspaceId, apiKey, endpointId, secret: oldSecret } = await endpointFor();
    receiver.respondWith(() => ({ status: 200 }));
    const rotated = await api.gql(apiKey, ROTATE, { id: endpointId, graceHours: 24 });
    const { secret: newSecret, endpoint } = rotated.data.rotateWebhookSecret.data;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    const graceEnds = Date.parse(endpoint.previousSecretExpiresAt);
    expect(graceEnds - Date.now()).toBeGreaterThan(23.9 * 3_600_000);

    await appendRunEvents(api.db, workspaceId, 1);
    const during = new Date();
    const [first] = await fanOut(workspaceId, during);
    await deliverWebhookMessages([first!], deps(during));
    const [inGrace] = receivedFor([first!]);
    expect(String(inGrace!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyAt(newSecret, inGrace!, during)).toBeTruthy();
    expect(verifyAt(oldSecret, inGrace!, during)).toBeTruthy();

    await appendRunEvents(api.db, workspaceId, 1);
    const after = new Date(graceEnds + 60_000);
    const [second] = await fanOut(workspaceId, after);
    await deliverWebhookMessages([second!], deps(after));
    const [afterGrace] = receivedFor([second!]);
    expect(String(afterGrace!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyAt(newSecret, afterGrace!, after)).toBeTruthy();
    expect(() => verifyAt(oldSecret, afterGrace!, after)).toThrow();
    // The independent check agrees.
    const nowSeconds = Math.floor(after.getTime() / 1000);
    expect(
      verifyStandardWebhook(oldSecret, afterGrace!.headers, afterGrace!.body, nowSeconds),
    ).toBe('no v1 signature matches');
  });

  it('rotating again within the grace period keeps every secret whose grace has not ended', async () => {
    const { workspaceId, apiKey, endpointId, secret: first } = await endpointFor();
    receiver.respondWith(() => ({ status: 200 }));
    const rotate = async (graceHours: number) => {
      const rotated = await api.gql(apiKey, ROTATE, { id: endpointId, graceHours });
      return rotated.data.rotateWebhookSecret.data as Json;
    };
    const second = await rotate(48);
    const third = await rotate(24);
    // The latest grace period to end: the first secret's, 48 hours.
    const firstEnds = Date.parse(third.endpoint.previousSecretExpiresAt);
    expect(firstEnds - Date.now()).toBeGreaterThan(47.9 * 3_600_000);
    expect(Date.parse(second.endpoint.previousSecretExpiresAt)).toBe(firstEnds);

    const deliverOne = async (at: Date) => {
      await appendRunEvents(api.db, workspaceId, 1);
      queue.take(); // what earlier deliveries left
      const [id] = await fanOut(workspaceId, at);
      await deliverWebhookMessages([id!], deps(at));
      return receivedFor([id!])[0]!;
    };
    const during = new Date();
    const both = await deliverOne(during);
    expect(String(both.headers['webhook-signature']).split(' ')).toHaveLength(3);
    for (const secret of [third.secret, second.secret, first]) {
      expect(verifyAt(secret, both, during)).toBeTruthy();
    }
    // After 24 hours the second secret's grace is over, the first's (48 hours) is not.
    const dayLater = new Date(during.getTime() + 25 * 3_600_000);
    const later = await deliverOne(dayLater);
    expect(String(later.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyAt(third.secret, later, dayLater)).toBeTruthy();
    expect(verifyAt(first, later, dayLater)).toBeTruthy();
    expect(() => verifyAt(second.secret, later, dayLater)).toThrow();
    // graceHours: 0 ends every grace period at once (a leaked secret): only the new one signs.
    const fourth = await rotate(0);
    expect(fourth.endpoint.previousSecretExpiresAt).toBeNull();
    const alone = await deliverOne(new Date());
    expect(String(alone.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyAt(fourth.secret, alone, new Date())).toBeTruthy();
  });

  it('reads a grace period stored before rotations kept several secrets, and keeps it on rotating', async () => {
    const { workspaceId, apiKey, endpointId, secret: current } = await endpointFor();
    receiver.respondWith(() => ({ status: 200 }));
    // As a rotation stored it before: the one earlier secret, encrypted alone.
    const earlier = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ends = new Date(Date.now() + 10 * 3_600_000);
    await api.db.execute(
      sql`update webhook_endpoints
          set previous_secret_ciphertext = ${await encryptSecret(cipher, earlier)},
              previous_secret_expires_at = ${ends.toISOString()}::timestamptz
          where id = ${endpointId}::uuid`,
    );
    const rotated = await api.gql(apiKey, ROTATE, { id: endpointId, graceHours: 1 });
    const { secret: newest, endpoint } = rotated.data.rotateWebhookSecret.data;
    expect(Date.parse(endpoint.previousSecretExpiresAt)).toBe(ends.getTime());
    await appendRunEvents(api.db, workspaceId, 1);
    queue.take(); // what earlier tests left
    const at = new Date();
    const [id] = await fanOut(workspaceId, at);
    await deliverWebhookMessages([id!], deps(at));
    const [request] = receivedFor([id!]);
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(3);
    for (const secret of [newest, current, earlier]) {
      expect(verifyAt(secret, request!, at)).toBeTruthy();
    }
  });

  it('refuses a rotation that would keep more than 4 earlier secrets, and graceHours: 0 still works', async () => {
    const { apiKey, endpointId } = await endpointFor();
    const rotate = (graceHours: number) =>
      api.gql(apiKey, ROTATE_WITH_ERRORS, { id: endpointId, graceHours });
    for (let index = 0; index < 4; index++) {
      expect((await rotate(24)).data.rotateWebhookSecret.__typename).toBe(
        'MutationRotateWebhookSecretSuccess',
      );
    }
    const refused = (await rotate(24)).data.rotateWebhookSecret;
    expect(refused.__typename).toBe('ValidationError');
    expect(refused.issues).toEqual([
      {
        code: 'INVALID_VALUE',
        path: 'graceHours',
        message: expect.stringMatching(
          /^4 earlier secrets still sign, the maximum; the first grace period ends at \S+Z: wait for it, or rotate with graceHours: 0 to end every grace period now$/,
        ),
      },
    ]);
    expect((await rotate(0)).data.rotateWebhookSecret.__typename).toBe(
      'MutationRotateWebhookSecretSuccess',
    );
  });

  it('records attemptedAt as when the POST started (its webhook-timestamp), not when the batch was claimed', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/attempted-at`);
    receiver.respondWith(() => ({ status: 503 }));
    await appendRunEvents(api.db, workspaceId, 1);
    queue.take(); // what earlier tests left
    const claimedAt = new Date();
    const [id] = await fanOut(workspaceId, claimedAt);
    // The batch's earlier POSTs took 4 minutes: this one starts that long after the claim.
    const postedAt = new Date(claimedAt.getTime() + 4 * 60_000);
    let reads = 0;
    const clock = () => (reads++ === 0 ? claimedAt : postedAt);
    expect(await deliverWebhookMessages([id!], deps(claimedAt, { now: clock }))).toMatchObject({
      attempted: 1,
    });
    const [request] = receivedFor([id!]);
    expect(Number(request!.headers['webhook-timestamp'])).toBe(
      Math.floor(postedAt.getTime() / 1000),
    );
    const [attempt] = (await endpointState(apiKey, endpointId)).messages.nodes[0].attempts.nodes;
    expect(Date.parse(attempt.attemptedAt)).toBe(postedAt.getTime());
    // The next attempt is 5 s after this one, not after the claim.
    const [row] = await queryRows<{ next: Date }>(
      api.db,
      sql`select next_attempt_at as next from webhook_messages where id = ${id}`,
    );
    expect(new Date(row!.next).getTime()).toBe(postedAt.getTime() + 5_000);
  });

  it('a claim taken over after its consumer crashed does not use up an attempt that was never recorded', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/crashing`);
    receiver.respondWith(() => ({ status: 503 }));
    await appendRunEvents(api.db, workspaceId, 1);
    queue.take(); // what earlier tests left
    const start = new Date();
    const [id] = await fanOut(workspaceId, start);
    // A consumer that dies after its POST, before recording it (the Worker was evicted).
    const crashing = new Proxy(api.db, {
      get(target, property) {
        if (property === 'transaction') {
          return () => Promise.reject(new Error('the consumer crashed'));
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(deliverWebhookMessages([id!], deps(start, { db: crashing }))).rejects.toThrow(
      'the consumer crashed',
    );
    queue.take();
    // Its lease runs out; the sweep's queue message reaches a live consumer.
    const afterLease = new Date(start.getTime() + (WEBHOOK_LEASE_SECONDS + 1) * 1000);
    expect(await deliverWebhookMessages([id!], deps(afterLease))).toMatchObject({ attempted: 1 });
    // The first recorded attempt: retried after 5 s, as the schedule's first failure is.
    expect(queue.take()).toEqual([{ id, delaySeconds: RETRY_SCHEDULE_SECONDS[1] }]);
    const [message] = (await endpointState(apiKey, endpointId)).messages.nodes;
    expect(message).toMatchObject({ status: 'PENDING', attemptCount: 1 });
    // The lost claim is listed (its POST may have arrived) but not counted.
    expect(message.attempts.nodes).toHaveLength(2);
    expect(message.attempts.nodes[0]).toMatchObject({
      statusCode: null,
      succeeded: false,
      error: expect.stringMatching(/^lost: /),
    });
    expect(Date.parse(message.attempts.nodes[0].attemptedAt)).toBe(start.getTime());
    // And it still gets all 8 recorded attempts before it fails.
    let clock = afterLease.getTime();
    for (let attempt = 2; attempt <= MAX_WEBHOOK_ATTEMPTS; attempt++) {
      clock += RETRY_SCHEDULE_SECONDS[attempt - 1]! * 1000;
      expect(await deliverWebhookMessages([id!], deps(new Date(clock)))).toMatchObject({
        attempted: 1,
      });
      queue.take();
    }
    const [failed] = (await endpointState(apiKey, endpointId)).messages.nodes;
    expect(failed).toMatchObject({ status: 'FAILED', attemptCount: MAX_WEBHOOK_ATTEMPTS });
    expect(failed.attempts.nodes).toHaveLength(MAX_WEBHOOK_ATTEMPTS + 1);
  });

  it('replays one message with the same webhook-id, and an endpoint since a time', async () => {
    const { workspaceId, apiKey, endpointId, secret } = await endpointFor();
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 2);
    const early = await fanOut(workspaceId);
    await deliverWebhookMessages(early, deps(new Date()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    await appendRunEvents(api.db, workspaceId, 3);
    const late = await fanOut(workspaceId);
    await deliverWebhookMessages(late, deps(new Date()));
    expect(receivedFor([...early, ...late])).toHaveLength(5);

    const one = await api.gql(apiKey, REPLAY_ONE, { id: early[0] });
    expect(one.data.replayWebhookMessage.data).toMatchObject({
      id: early[0],
      status: 'PENDING',
      attemptCount: 0,
    });
    const replayed = queue.take().map((message) => message.id);
    expect(replayed).toEqual([early[0]]);
    await deliverWebhookMessages(replayed, deps(new Date()));
    const copies = receivedFor([early[0]!]);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.body).toBe(copies[0]!.body);
    expect(new Webhook(secret).verify(copies[1]!.body, copies[1]!.headers as never)).toBeTruthy();

    const all = await api.gql(apiKey, REPLAY_SINCE, { endpointId, since: since.toISOString() });
    expect(all.data.replayWebhookEndpoint.data).toEqual({ replayed: 3, continueFrom: null });
    const again = queue.take().map((message) => message.id);
    expect(again.sort()).toEqual([...late].sort());
    await deliverWebhookMessages(again, deps(new Date()));
    for (const id of late) expect(receivedFor([id])).toHaveLength(2);
    expect(receivedFor([early[1]!])).toHaveLength(1);
  });

  it('refuses private addresses at send time in production, and does not follow redirects', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/private`);
    const target = await startWebhookReceiver('whsec_AAAA');
    try {
      receiver.respondWith((request) =>
        request.path.endsWith('/redirect')
          ? { status: 302, headers: { location: target.url } }
          : { status: 200 },
      );
      await appendRunEvents(api.db, workspaceId, 1);
      const ids = await fanOut(workspaceId);
      const before = receiver.requests.length;
      await deliverWebhookMessages(ids, deps(new Date(), { allowPrivateUrls: false }));
      expect(receiver.requests.length).toBe(before);
      const state = await endpointState(apiKey, endpointId);
      const [attempt] = state.messages.nodes[0].attempts.nodes;
      expect(attempt).toMatchObject({ statusCode: null, succeeded: false });
      expect(attempt.error).toMatch(/refused: The URL points at a loopback address/);

      const redirecting = await endpointFor(`${receiver.url}/redirect`);
      await appendRunEvents(api.db, redirecting.workspaceId, 1);
      const redirected = await fanOut(redirecting.workspaceId);
      await deliverWebhookMessages(redirected, deps(new Date()));
      expect(target.requests).toHaveLength(0);
      const redirectState = await endpointState(redirecting.apiKey, redirecting.endpointId);
      expect(redirectState.messages.nodes[0].attempts.nodes[0]).toMatchObject({
        statusCode: 302,
        succeeded: false,
      });
    } finally {
      await target.close();
    }
  });

  it('bounds each attempt by its timeout', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor(`${receiver.url}/slow`);
    receiver.respondWith(() => ({ status: 200, delayMs: 1500 }));
    await appendRunEvents(api.db, workspaceId, 1);
    const ids = await fanOut(workspaceId);
    await deliverWebhookMessages(ids, deps(new Date(), { timeoutMs: 200 }));
    const state = await endpointState(apiKey, endpointId);
    const [attempt] = state.messages.nodes[0].attempts.nodes;
    expect(attempt).toMatchObject({ statusCode: null, succeeded: false });
    expect(attempt.error).toBe('no answer within 200 ms');
    expect(attempt.latencyMs).toBeLessThan(1500);
  });

  it('counts a 2xx as delivered even when its body never finishes, so the event is not sent again', async () => {
    // The endpoint accepted the event (Standard Webhooks: any 2xx is success) and then held the
    // connection: headers flushed before slow work, or a Content-Length it never fills. Only the
    // first 1 KB is kept anyway; the status decides.
    const sockets = new Set<Socket>();
    const hanging = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      response.write('accepted');
    });
    hanging.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = hanging.address() as AddressInfo;
      const { workspaceId, apiKey, endpointId } = await endpointFor(`http://127.0.0.1:${port}/`);
      await appendRunEvents(api.db, workspaceId, 1);
      const ids = await fanOut(workspaceId);
      const result = await deliverWebhookMessages(ids, deps(new Date(), { timeoutMs: 300 }));
      expect(result).toEqual({ attempted: 1, succeeded: 1 });
      expect(queue.take()).toEqual([]);
      const state = await endpointState(apiKey, endpointId);
      expect(state.messages.nodes[0]).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
      expect(state.messages.nodes[0].attempts.nodes[0]).toMatchObject({
        statusCode: 200,
        succeeded: true,
        responseExcerpt: 'accepted',
        error: null,
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('stamps webhook-timestamp with when each attempt is made, not when its batch was claimed', async () => {
    // Standard Webhooks, "Webhook metadata": the timestamp of the attempt. One more message than
    // the POSTs in flight at once, to an endpoint that takes 2 s: the last one starts 2 s after
    // the claim, and its timestamp must say so (verifiers allow 5 minutes of difference).
    const { workspaceId, secret } = await endpointFor(`${receiver.url}/attempt-time`);
    receiver.respondWith(() => ({ status: 200, delayMs: 2_000 }));
    await appendRunEvents(api.db, workspaceId, WEBHOOK_CONCURRENCY + 1);
    queue.take(); // what earlier tests left
    const ids = await fanOut(workspaceId);
    expect(ids).toHaveLength(WEBHOOK_CONCURRENCY + 1);
    // The real clock, as in production: no `now` for the test to move.
    const result = await deliverWebhookMessages(ids, deps(new Date(), { now: undefined }));
    expect(result).toMatchObject({ attempted: WEBHOOK_CONCURRENCY + 1 });
    const requests = receivedFor(ids);
    expect(requests).toHaveLength(WEBHOOK_CONCURRENCY + 1);
    const late = requests.filter(
      (request) => request.receivedAt - requests[0]!.receivedAt >= 1_500,
    );
    expect(late.length).toBeGreaterThan(0);
    for (const request of requests) {
      const stamped = Number(request.headers['webhook-timestamp']) * 1000;
      // Whole seconds, floored: at most a second (and the request's own transit) before arrival.
      expect(request.receivedAt - stamped).toBeGreaterThanOrEqual(0);
      expect(request.receivedAt - stamped).toBeLessThan(1_500);
      expect(new Webhook(secret).verify(request.body, request.headers as never)).toBeTruthy();
    }
  });

  it('sends each message once when fan-outs and deliveries race, and resumes a dead consumer’s claim only after its lease', async () => {
    const { workspaceId } = await endpointFor(`${receiver.url}/race`);
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 20);
    queue.take(); // what earlier tests left
    const now = new Date();
    await Promise.all([
      fanOutAndEnqueue(api.db, queue, [workspaceId], now),
      fanOutAndEnqueue(api.db, queue, [workspaceId], now),
      fanOutAndEnqueue(api.db, queue, [workspaceId], now),
    ]);
    const ids = [...new Set(queue.take().map((message) => message.id))];
    expect(ids).toHaveLength(20);
    const results = await Promise.all([
      deliverWebhookMessages(ids, deps(now)),
      deliverWebhookMessages(ids, deps(now)),
      deliverWebhookMessages([...ids].reverse(), deps(now)),
    ]);
    expect(results.reduce((sum, result) => sum + result.attempted, 0)).toBe(20);
    for (const id of ids) expect(receivedFor([id])).toHaveLength(1);

    // A consumer that claimed a message and died: its lease holds the message until it runs out.
    await appendRunEvents(api.db, workspaceId, 1);
    const [orphan] = await fanOut(workspaceId, now);
    const leaseUntil = new Date(now.getTime() + 60_000);
    await api.db.execute(
      sql`update webhook_messages set status = 'delivering', attempts = 1,
            lease_until = ${leaseUntil.toISOString()}::timestamptz where id = ${orphan}`,
    );
    expect((await deliverWebhookMessages([orphan!], deps(now))).attempted).toBe(0);
    const afterLease = new Date(leaseUntil.getTime() + 1000);
    expect((await deliverWebhookMessages([orphan!], deps(afterLease))).attempted).toBe(1);
    expect(receivedFor([orphan!])).toHaveLength(1);
  });

  it('the sweep fans out events whose fan-out request was lost and re-enqueues due messages', async () => {
    const { workspaceId } = await endpointFor();
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 2);
    const sweepQueue = recordingQueue();
    await sweepWebhooks(api.db, sweepQueue);
    const fromSweep = sweepQueue.take().map((message) => message.id);
    const [messages] = await queryRows<{ ids: string[] }>(
      api.db,
      sql`select array_agg(id order by event_cursor) as ids from webhook_messages
          where workspace_id = ${workspaceId}::uuid`,
    );
    expect(fromSweep).toEqual(expect.arrayContaining(messages!.ids));
    // Their queue messages "were lost": after the stale interval the sweep sends them again.
    const later = new Date(Date.now() + 10 * 60_000);
    await sweepWebhooks(api.db, sweepQueue, later);
    expect(sweepQueue.take().map((message) => message.id)).toEqual(
      expect.arrayContaining(messages!.ids),
    );
    await deliverWebhookMessages(messages!.ids, deps(new Date()));
    await deliverWebhookMessages(messages!.ids, deps(new Date()));
    expect(receivedFor(messages!.ids)).toHaveLength(2);
  });
});
