import { eq } from 'drizzle-orm';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../api/api-keys';
import { runs } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  publishWorkflow,
  seedContact,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitFor,
} from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import { DELIVERY_EVENTS, eventOf, openSse } from './test-sse';

/**
 * Partners' live stream end to end in workerd: the real Worker, its queues and the EventHub
 * Durable Object, the test Postgres, sends to a real HTTP endpoint, and clients speaking
 * GraphQL over SSE on the wire (our protocol reader, and the graphql-sse client library).
 */

const MAX_STREAMS_PER_KEY = 3;
let harness: DispatchHarness;
let endpoint: WebhookReceiver;

beforeAll(async () => {
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  harness = await startDispatchHarness({
    bindings: { MAX_STREAMS_PER_KEY: String(MAX_STREAMS_PER_KEY) },
  });
});

afterAll(async () => {
  await harness?.close();
  await endpoint?.close();
});

const streamUrl = () => `${harness.worker.url}/graphql/stream`;

/** A workspace with a one-step workflow on a custom channel, `count` contacts, and a read key. */
async function workspace(count: number) {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const readKey = await issueApiKey(harness.db, { workspaceId, name: 'Partner', scopes: ['read'] });
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'hello',
      type: 'send_message',
      config: sendConfig({
        channel: { kind: 'specific', channelId },
        defaultMessage: { type: 'text', text: 'Hello $contact.firstname' },
      }),
    },
  ]);
  const contactIds: string[] = [];
  for (let index = 0; index < count; index++) {
    contactIds.push(
      await seedContact(harness.db, workspaceId, { firstName: `P${index}` }, [
        { channelId, address: `p${index}-${channelId.slice(0, 8)}` },
      ]),
    );
  }
  return { workspaceId, apiKey, readKey: readKey.plaintext, workflowId, contactIds };
}

/** run.started, delivery.queued, delivery.sent, run.completed: four events per one-step send. */
const EVENTS_PER_SEND = 4;

describe('deliveryEvents over SSE', () => {
  it('streams every event of a run to a read-only key in cursor order, with ids, and nothing to another workspace', async () => {
    const mine = await workspace(3);
    const other = await workspace(1);
    const stream = await openSse(streamUrl(), mine.readKey, { query: DELIVERY_EVENTS });
    const stranger = await openSse(streamUrl(), other.readKey, { query: DELIVERY_EVENTS });
    expect(stream.status).toBe(200);
    await startThroughApi(harness, mine.apiKey, mine.workflowId, mine.contactIds);

    const messages = await stream.nexts(3 * EVENTS_PER_SEND);
    const events = messages.map(eventOf);
    expect(events.map((event) => Number(event.cursor))).toEqual(
      Array.from({ length: 12 }, (_, index) => index + 1),
    );
    expect(messages.map((message) => message.id)).toEqual(events.map((event) => event.cursor));
    expect(events.filter((event) => event.type === 'DELIVERY_SENT')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'RUN_COMPLETED')).toHaveLength(3);
    stream.drop();
    expect(stranger.messages.filter((message) => message.event === 'next')).toEqual([]);
    stranger.drop();
  });

  it("gives identical subscribers every event once in order, and a subscriber filtered by contact only that contact's", async () => {
    const mine = await workspace(3);
    const same = await Promise.all(
      [0, 1, 2].map(() => openSse(streamUrl(), mine.readKey, { query: DELIVERY_EVENTS })),
    );
    const contactId = mine.contactIds[1]!;
    // A key of its own: the three identical streams use up the first key's streams.
    const second = await issueApiKey(harness.db, {
      workspaceId: mine.workspaceId,
      name: 'Partner 2',
      scopes: ['read'],
    });
    const filtered = await openSse(streamUrl(), second.plaintext, {
      query: DELIVERY_EVENTS,
      variables: { filter: { contactId } },
    });
    await startThroughApi(harness, mine.apiKey, mine.workflowId, mine.contactIds);

    const received = await Promise.all(same.map((stream) => stream.nexts(3 * EVENTS_PER_SEND)));
    const all = Array.from({ length: 3 * EVENTS_PER_SEND }, (_, index) => String(index + 1));
    for (const messages of received) {
      expect(messages.map((message) => message.id)).toEqual(all);
      expect(messages.map((message) => eventOf(message).cursor)).toEqual(all);
    }
    const [run] = await harness.db
      .select({ id: runs.id })
      .from(runs)
      .where(eq(runs.contactId, contactId));
    const theirs = received[0]!.map(eventOf).filter((event) => event.runId === run!.id);
    expect(theirs).toHaveLength(EVENTS_PER_SEND);
    const own = await filtered.nexts(EVENTS_PER_SEND);
    expect(own.map(eventOf)).toEqual(theirs);
    // Everything has been written by now (the unfiltered streams saw the last event): nothing more.
    expect(filtered.messages.filter((message) => message.event === 'next')).toHaveLength(
      EVENTS_PER_SEND,
    );
    for (const stream of [...same, filtered]) stream.drop();
  });

  it('resumes after a dropped connection with Last-Event-ID: every event exactly once, in order, while sends continue', async () => {
    const { readKey, apiKey, workflowId, contactIds } = await workspace(12);
    const first = await openSse(streamUrl(), readKey, { query: DELIVERY_EVENTS });
    const sending = (async () => {
      for (let batch = 0; batch < 4; batch++) {
        await startThroughApi(
          harness,
          apiKey,
          workflowId,
          contactIds.slice(batch * 3, batch * 3 + 3),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    const before = await first.nexts(7);
    first.drop();
    await first.ended;
    const lastId = before.at(-1)!.id!;
    // Sends go on while the subscriber is away.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = await openSse(
      streamUrl(),
      readKey,
      { query: DELIVERY_EVENTS },
      { 'last-event-id': lastId },
    );
    await sending;
    const total = contactIds.length * EVENTS_PER_SEND;
    const after = await second.nexts(total - Number(lastId));
    second.drop();
    const cursors = [...before.slice(0, Number(lastId)), ...after].map((message) =>
      Number(eventOf(message).cursor),
    );
    expect(cursors).toEqual(Array.from({ length: total }, (_, index) => index + 1));
  });

  it('serves the graphql-sse client in single-connection mode, filtered by run, from a cursor', async () => {
    const { readKey, apiKey, workflowId, contactIds } = await workspace(2);
    const [firstRun] = await startThroughApi(harness, apiKey, workflowId, contactIds);
    await waitFor(
      async () => {
        const check = await openSse(streamUrl(), readKey, {
          query: DELIVERY_EVENTS,
          variables: { after: '0' },
        });
        const got = await check.nexts(2 * EVENTS_PER_SEND, 3000).catch(() => []);
        check.drop();
        return got.length === 2 * EVENTS_PER_SEND;
      },
      { what: 'both runs to finish' },
    );
    const client = createClient({
      url: streamUrl(),
      singleConnection: true,
      headers: { authorization: `Bearer ${readKey}` },
      retryAttempts: 0,
    });
    const types: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const unsubscribe = client.subscribe<{ deliveryEvents: { type: string; runId: string } }>(
        { query: DELIVERY_EVENTS, variables: { after: '0', filter: { runId: firstRun } } },
        {
          next(result) {
            const event = result.data!.deliveryEvents;
            expect(event.runId).toBe(firstRun);
            types.push(event.type);
            if (types.length === EVENTS_PER_SEND) {
              unsubscribe();
              resolve();
            }
          },
          error: reject,
          complete: () => undefined,
        },
      );
    });
    client.dispose();
    expect(types).toEqual(['RUN_STARTED', 'DELIVERY_QUEUED', 'DELIVERY_SENT', 'RUN_COMPLETED']);
  });

  it('refuses a missing key, a stream past the per-key limit, and queries on the stream endpoint', async () => {
    const { readKey, apiKey } = await workspace(0);
    const anonymous = await fetch(streamUrl(), {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: DELIVERY_EVENTS }),
    });
    expect(anonymous.status).toBe(401);

    const open = [];
    for (let index = 0; index < MAX_STREAMS_PER_KEY; index++) {
      open.push(await openSse(streamUrl(), readKey, { query: DELIVERY_EVENTS }));
    }
    const refused = await openSse(streamUrl(), readKey, { query: DELIVERY_EVENTS });
    expect(refused.status).toBe(429);
    // Opened all at once, a key's streams still stop at the limit.
    const { readKey: otherKey } = await workspace(0);
    const racing = await Promise.all(
      Array.from({ length: MAX_STREAMS_PER_KEY + 2 }, () =>
        openSse(streamUrl(), otherKey, { query: DELIVERY_EVENTS }),
      ),
    );
    expect(racing.map((stream) => stream.status).sort()).toEqual([
      ...Array.from({ length: MAX_STREAMS_PER_KEY }, () => 200),
      429,
      429,
    ]);
    for (const stream of racing) stream.drop();
    // A dropped stream frees its slot when the hub notices, at the latest at its next heartbeat.
    open[0]!.drop();
    await open[0]!.ended;
    const again = await waitFor(
      async () => {
        const stream = await openSse(streamUrl(), readKey, { query: DELIVERY_EVENTS });
        if (stream.status === 200) return stream;
        return undefined;
      },
      { what: 'a freed stream slot', timeoutMs: 40_000, intervalMs: 1000 },
    );
    for (const stream of [...open, again]) stream.drop();

    // Another key of the same workspace has its own limit. A query is refused inside the
    // stream, as graphql-sse's distinct-connections mode reports validation errors.
    const query = await openSse(streamUrl(), apiKey, { query: '{ workspace { name } }' });
    expect(query.status).toBe(200);
    await query.ended;
    expect(query.messages.map((message) => message.event)).toEqual(['next', 'complete']);
    expect(query.messages[0]!.data).toContain('Only subscriptions are served here');
  }, 60_000);

  it('reports validation errors in the stream (distinct connections) and as a 400 to an operation request', async () => {
    // graphql-sse's protocol (PROTOCOL.md of the graphql-sse package), "Distinct connections
    // mode": validation errors MUST come through an accepted SSE connection as `next` events
    // (then `complete`), not as a 400.
    const { readKey } = await workspace(0);
    const invalid = 'subscription { deliveryEvents { cursor nope } }';
    const stream = await openSse(streamUrl(), readKey, { query: invalid });
    expect(stream.status).toBe(200);
    await stream.ended;
    expect(stream.messages.map((message) => [message.event, message.data])).toEqual([
      [
        'next',
        expect.stringContaining('Cannot query field \\"nope\\" on type \\"DeliveryEvent\\"'),
      ],
      ['complete', ''],
    ]);
    const { errors } = JSON.parse(stream.messages[0]!.data) as { errors: { message: string }[] };
    expect(errors).toHaveLength(1);
    const syntax = await openSse(streamUrl(), readKey, { query: 'subscription {' });
    await syntax.ended;
    expect(syntax.messages.map((message) => message.event)).toEqual(['next', 'complete']);
    expect(syntax.messages[0]!.data).toContain('Syntax Error');

    // The graphql-sse client hears the errors as a result, then completes: no retry loop.
    const client = createClient({
      url: streamUrl(),
      headers: { authorization: `Bearer ${readKey}` },
      retryAttempts: 0,
    });
    const heard = await new Promise<unknown[]>((resolve, reject) => {
      const results: unknown[] = [];
      client.subscribe(
        { query: invalid },
        { next: (result) => results.push(result), error: reject, complete: () => resolve(results) },
      );
    });
    client.dispose();
    expect(heard).toEqual([
      { errors: [expect.objectContaining({ message: expect.stringContaining('nope') })] },
    ]);

    // Not asking for a stream (as single-connection mode's operation requests do): a 400.
    const plain = await fetch(streamUrl(), {
      method: 'POST',
      headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: invalid }),
    });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toContain('Cannot query field');
  });

  it('refuses @skip or @include on the root field inside the stream, instead of answering 500', async () => {
    // A subscription has exactly one root field (GraphQL spec, "Single root field"): one that
    // a literal condition removes left graphql-js no field to subscribe to.
    const { readKey } = await workspace(0);
    for (const query of [
      'subscription { deliveryEvents @skip(if: true) { cursor } }',
      'subscription { deliveryEvents @include(if: false) { cursor } }',
      'subscription { ... on Subscription @skip(if: true) { deliveryEvents { cursor } } }',
      'subscription { ...Root } fragment Root on Subscription { deliveryEvents @skip(if: true) { cursor } }',
    ]) {
      const stream = await openSse(streamUrl(), readKey, { query });
      expect(stream.status).toBe(200);
      await stream.ended;
      expect(stream.messages.map((message) => message.event)).toEqual(['next', 'complete']);
      const { errors } = JSON.parse(stream.messages[0]!.data) as { errors: { message: string }[] };
      expect(errors).toEqual([
        expect.objectContaining({ message: expect.stringContaining('@skip or @include') }),
      ]);
    }
    // A condition below the root field stays a plain subscription.
    const open = await openSse(streamUrl(), readKey, {
      query: 'subscription { deliveryEvents { cursor type @skip(if: true) } }',
    });
    expect(open.status).toBe(200);
    const ended = await Promise.race([
      open.ended.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000)),
    ]);
    open.drop();
    expect(ended).toBe(false);
  });

  it('ends the open streams of a revoked key, and only those', async () => {
    const { workspaceId, apiKey } = await workspace(0);
    const leaked = await issueApiKey(harness.db, { workspaceId, name: 'Leaked', scopes: ['read'] });
    const kept = await issueApiKey(harness.db, { workspaceId, name: 'Kept', scopes: ['read'] });
    const revokedStream = await openSse(streamUrl(), leaked.plaintext, { query: DELIVERY_EVENTS });
    const keptStream = await openSse(streamUrl(), kept.plaintext, { query: DELIVERY_EVENTS });
    expect([revokedStream.status, keptStream.status]).toEqual([200, 200]);
    const revoked = await harness.gql(
      apiKey,
      /* GraphQL */ `mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }`,
      { id: leaked.id },
    );
    expect(revoked.data?.revokeApiKey.__typename).toBe('MutationRevokeApiKeySuccess');
    // "Revokes a key at once": its open streams end too (within the hub's check interval),
    // rather than delivering the workspace's events to whoever holds it for as long as the
    // connection lasts. A reconnect is refused like any request with the key.
    const ended = await Promise.race([
      revokedStream.ended.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
    ]);
    expect(ended).toBe(true);
    const again = await openSse(streamUrl(), leaked.plaintext, { query: DELIVERY_EVENTS });
    expect(again.status).toBe(401);
    const still = await Promise.race([
      keptStream.ended.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 100)),
    ]);
    expect(still).toBe(true);
    keptStream.drop();
  }, 40_000);

  it('lets go of a single-connection reservation whose stream never opens', async () => {
    const { readKey } = await workspace(0);
    const auth = { authorization: `Bearer ${readKey}` };
    const reserved = await fetch(streamUrl(), { method: 'PUT', headers: auth });
    expect(reserved.status).toBe(201);
    const token = await reserved.text();
    const operation = (operationId: string) =>
      fetch(streamUrl(), {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/json',
          'x-graphql-event-stream-token': token,
        },
        body: JSON.stringify({ query: DELIVERY_EVENTS, extensions: { operationId } }),
      });
    // graphql-sse keeps a reservation, and the results of operations sent to it, in memory
    // until its stream opens ("will be flushed on connect"): one that never opens (the stream
    // was refused, the client went away) held them, and every event since, for the hub's life.
    expect((await operation('a')).status).toBe(202);
    const gone = await waitFor(
      async () => {
        const response = await operation(`b${Date.now()}`);
        return response.status === 404 ? response : undefined;
      },
      { what: 'the reservation let go', timeoutMs: 30_000, intervalMs: 2000 },
    );
    expect(await gone.text()).toContain('Stream not found');
  }, 45_000);
});
