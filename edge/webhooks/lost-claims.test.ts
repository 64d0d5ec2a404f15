import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, useTestApi } from '../../api/test-support';
import type { Database } from '../../db/client';
import { CredentialCipher } from '../../db/credentials';
import { queryRows } from '../../db/rows';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  deliverWebhookMessages,
  GAVE_UP_ERROR,
  LOST_CLAIM_ERROR,
  type WebhookDeliveryDeps,
} from './deliver';
import { fanOutAndEnqueue } from './fanout';
import { MAX_LOST_CLAIMS, WEBHOOK_LEASE_SECONDS } from './limits';
import { sweepWebhooks } from './sweep';
import { appendRunEvents, type RecordingQueue, recordingQueue } from './test-support';

/**
 * A message whose delivery stops its consumer every time (the consumer dies after its POST,
 * before its record commits): its lost claims are counted apart from its recorded attempts, it
 * is given up after MAX_LOST_CLAIMS of them, and a message merely batched with it is not.
 */

const queue: RecordingQueue = recordingQueue();
const api = useTestApi({ allowPrivateUrls: true, webhookQueue: queue });
const cipher = new CredentialCipher(api.credentialsKey);
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver('whsec_AAAA');
});
afterAll(() => receiver?.close());

const CREATE = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      ... on MutationCreateWebhookEndpointSuccess { data { endpoint { id } } }
    }
  }
`;
const MESSAGE = /* GraphQL */ `
  query ($id: ID!) {
    webhookEndpoint(id: $id) {
      messages { nodes { id status attemptCount
        attempts { nodes { statusCode succeeded error attemptedAt } } } }
    }
  }
`;
const REPLAY = /* GraphQL */ `
  mutation ($id: ID!) {
    replayWebhookMessage(id: $id) { __typename }
  }
`;

async function endpointFor(path: string) {
  const { workspaceId, apiKey } = await api.createWorkspace();
  const created = await api.gql(apiKey, CREATE, { input: { url: `${receiver.url}${path}` } });
  return {
    workspaceId,
    apiKey,
    endpointId: created.data.createWebhookEndpoint.data.endpoint.id as string,
  };
}

function deps(now: Date, db: Database = api.db): WebhookDeliveryDeps {
  return { db, cipher, queue, allowPrivateUrls: true, now: () => now };
}

/**
 * The database as a consumer sees it that dies whenever its record would commit an attempt of
 * one of `poison` (the record rolls back, as if the Worker had been evicted before it).
 */
function dyingOn(poison: ReadonlySet<string>): Database {
  return new Proxy(api.db, {
    get(target, property) {
      if (property === 'transaction') {
        return (work: (tx: unknown) => Promise<unknown>) =>
          target.transaction(async (tx) => {
            const result = await work(tx);
            if (
              Array.isArray(result) &&
              result.some((row: { id?: string }) => poison.has(row.id ?? ''))
            ) {
              throw new Error('the consumer crashed');
            }
            return result;
          });
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function messagesOf(apiKey: string, endpointId: string): Promise<Map<string, Json>> {
  const result = await api.gql(apiKey, MESSAGE, { id: endpointId });
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return new Map(
    result.data.webhookEndpoint.messages.nodes.map((node: Json) => [node.id as string, node]),
  );
}

function postsOf(id: string) {
  return receiver.requests.filter((request) => request.headers['webhook-id'] === id).length;
}

/** The instant of round `round`: each round starts once the previous round's leases ran out. */
function roundAt(start: Date, round: number) {
  return new Date(start.getTime() + round * (WEBHOOK_LEASE_SECONDS + 1) * 1000);
}

describe('lost claims', () => {
  it('gives a message up after MAX_LOST_CLAIMS consumers died holding its attempt, sending it no more', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor('/always-crashes');
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 1);
    queue.take();
    const start = new Date();
    await fanOutAndEnqueue(api.db, queue, [workspaceId], start);
    const [id] = queue.take().map((message) => message.id);
    const dying = dyingOn(new Set([id!]));
    for (let round = 0; round < MAX_LOST_CLAIMS; round++) {
      await expect(
        deliverWebhookMessages([id!], deps(roundAt(start, round), dying)),
      ).rejects.toThrow('the consumer crashed');
    }
    expect(postsOf(id!)).toBe(MAX_LOST_CLAIMS);
    // The next takeover gives it up instead of POSTing it once more.
    const giveUp = roundAt(start, MAX_LOST_CLAIMS);
    expect(await deliverWebhookMessages([id!], deps(giveUp, dying))).toEqual({
      attempted: 0,
      succeeded: 0,
    });
    expect(postsOf(id!)).toBe(MAX_LOST_CLAIMS);
    const message = (await messagesOf(apiKey, endpointId)).get(id!)!;
    expect(message).toMatchObject({ status: 'FAILED', attemptCount: 0 });
    const errors = message.attempts.nodes.map((node: Json) => node.error);
    expect(errors).toEqual([...Array(MAX_LOST_CLAIMS - 1).fill(LOST_CLAIM_ERROR), GAVE_UP_ERROR]);
    expect(message.attempts.nodes.map((node: Json) => Date.parse(node.attemptedAt))).toEqual(
      Array.from({ length: MAX_LOST_CLAIMS }, (_, round) => roundAt(start, round).getTime()),
    );
    // Nothing brings it back: not a later queue message, not the sweep.
    const later = roundAt(start, MAX_LOST_CLAIMS + 1);
    expect((await deliverWebhookMessages([id!], deps(later))).attempted).toBe(0);
    const sweepQueue = recordingQueue();
    await sweepWebhooks(api.db, sweepQueue, later);
    expect(sweepQueue.take().map((message) => message.id)).not.toContain(id);
    expect(postsOf(id!)).toBe(MAX_LOST_CLAIMS);
    const [row] = await queryRows<{ lease_until: string | null }>(
      api.db,
      sql`select lease_until from webhook_messages where id = ${id}`,
    );
    expect(row!.lease_until).toBeNull();

    // A replay starts a new schedule, lost claims included: it is sent and recorded.
    expect((await api.gql(apiKey, REPLAY, { id })).data.replayWebhookMessage.__typename).toBe(
      'MutationReplayWebhookMessageSuccess',
    );
    queue.take();
    expect(await deliverWebhookMessages([id!], deps(new Date()))).toEqual({
      attempted: 1,
      succeeded: 1,
    });
    expect((await messagesOf(apiKey, endpointId)).get(id!)).toMatchObject({
      status: 'SUCCEEDED',
      attemptCount: 1,
    });
  });

  it('retries a message whose claim was lost again on its own, so one batched with a crashing one is delivered', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor('/batched-with-a-crash');
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 4);
    queue.take();
    const start = new Date();
    await fanOutAndEnqueue(api.db, queue, [workspaceId], start);
    const ids = queue.take().map((message) => message.id);
    expect(ids).toHaveLength(4);
    // The crashing message is neither first nor last in id order.
    const sorted = [...ids].sort();
    const poison = sorted[1]!;
    const dying = dyingOn(new Set([poison]));
    // Every round, the sweep re-enqueues the whole batch and the queue delivers it together.
    for (let round = 0; round <= MAX_LOST_CLAIMS + 1; round++) {
      await deliverWebhookMessages(ids, deps(roundAt(start, round), dying)).catch((error) => {
        expect(String(error)).toContain('the consumer crashed');
      });
    }
    const messages = await messagesOf(apiKey, endpointId);
    const poisoned = messages.get(poison)!;
    expect(poisoned.status).toBe('FAILED');
    expect(poisoned.attempts.nodes.at(-1).error).toBe(GAVE_UP_ERROR);
    expect(postsOf(poison)).toBe(MAX_LOST_CLAIMS);
    for (const id of ids.filter((id) => id !== poison)) {
      const message = messages.get(id)!;
      expect(message).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
      const lost = message.attempts.nodes.filter((node: Json) => node.error === LOST_CLAIM_ERROR);
      expect(lost.length).toBeLessThan(MAX_LOST_CLAIMS);
    }
  });

  it('leaves messages that lost a claim before unclaimed once the batch has spent its time on them', async () => {
    const { workspaceId, apiKey, endpointId } = await endpointFor('/out-of-time');
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 2);
    queue.take();
    const start = new Date();
    await fanOutAndEnqueue(api.db, queue, [workspaceId], start);
    const ids = queue.take().map((message) => message.id);
    const dying = dyingOn(new Set(ids));
    // Two batches die holding both: each has now lost a claim and is retried alone.
    for (const round of [0, 1]) {
      await expect(deliverWebhookMessages(ids, deps(roundAt(start, round), dying))).rejects.toThrow(
        'the consumer crashed',
      );
    }
    const out = { ...deps(roundAt(start, 2)), lostClaimRetryMs: 0 };
    expect(await deliverWebhookMessages(ids, out)).toEqual({ attempted: 0, succeeded: 0 });
    // Nothing was claimed, so nothing more was lost: one lost claim recorded each, so far.
    for (const message of (await messagesOf(apiKey, endpointId)).values()) {
      expect(message).toMatchObject({ status: 'DELIVERING', attemptCount: 0 });
      expect(message.attempts.nodes).toHaveLength(1);
    }
    expect(await deliverWebhookMessages(ids, deps(roundAt(start, 2)))).toEqual({
      attempted: 2,
      succeeded: 2,
    });
    for (const message of (await messagesOf(apiKey, endpointId)).values()) {
      expect(message).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
      expect(message.attempts.nodes.map((node: Json) => node.error)).toEqual([
        LOST_CLAIM_ERROR,
        LOST_CLAIM_ERROR,
        null,
      ]);
    }
  });
});
