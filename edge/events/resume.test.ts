import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWorkspace } from '../dispatch/test-seed';
import { type DispatchHarness, startDispatchHarness } from '../dispatch/test-support';
import { appendRunEvents } from '../webhooks/test-support';
import { DELIVERY_EVENTS, eventOf, openSse } from './test-sse';

/**
 * Where a stream starts when a request carries both `after` and `Last-Event-ID`, in workerd
 * (the real Worker and EventHub, the test Postgres): EventSource reconnects by resending the
 * request it opened with, `after` included, plus the id of the last message it got.
 */

let harness: DispatchHarness;

beforeAll(async () => {
  harness = await startDispatchHarness();
});

afterAll(async () => {
  await harness?.close();
});

/** The cursors of the first `count` events a stream opened with `after` and `lastEventId` gets. */
async function cursorsFrom(
  apiKey: string,
  count: number,
  after: string | undefined,
  lastEventId: string | undefined,
): Promise<string[]> {
  const stream = await openSse(
    `${harness.worker.url}/graphql/stream`,
    apiKey,
    { query: DELIVERY_EVENTS, variables: after === undefined ? {} : { after } },
    lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  );
  try {
    const messages = await stream.nexts(count, 10_000);
    expect(messages.map((message) => message.id)).toEqual(
      messages.map((message) => eventOf(message).cursor),
    );
    return messages.slice(0, count).map((message) => eventOf(message).cursor);
  } finally {
    stream.drop();
  }
}

describe('resuming a stream', () => {
  it('starts after the later of `after` and Last-Event-ID, so a reconnecting EventSource gets no event twice', async () => {
    const { workspaceId, apiKey } = await seedWorkspace(harness.db);
    await appendRunEvents(harness.db, workspaceId, 6);
    // A reconnect: opened with `after: "1"`, it had received up to 4.
    expect(await cursorsFrom(apiKey, 2, '1', '4')).toEqual(['5', '6']);
    // A client resuming further back than its header on purpose: `after` is later, it wins.
    expect(await cursorsFrom(apiKey, 2, '4', '2')).toEqual(['5', '6']);
    // Either alone.
    expect(await cursorsFrom(apiKey, 3, '3', undefined)).toEqual(['4', '5', '6']);
    expect(await cursorsFrom(apiKey, 1, undefined, '5')).toEqual(['6']);
  });
});
