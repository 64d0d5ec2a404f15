import { createClient } from 'graphql-sse';
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

  it('refuses a cursor past the workspace log, naming its last cursor, instead of going silent', async () => {
    const { workspaceId, apiKey } = await seedWorkspace(harness.db);
    await appendRunEvents(harness.db, workspaceId, 3);
    // A cursor of another workspace or environment: nothing would come until this log reached
    // it, and every event up to it would be lost to the client.
    for (const [after, lastEventId] of [
      ['500', undefined],
      [undefined, '500'],
      ['1', '500'],
    ] as const) {
      const stream = await openSse(
        `${harness.worker.url}/graphql/stream`,
        apiKey,
        { query: DELIVERY_EVENTS, variables: after === undefined ? {} : { after } },
        lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
      );
      await stream.ended;
      const [next, complete] = stream.messages.filter((message) => message.event !== 'message');
      expect(next?.event).toBe('next');
      const { errors } = JSON.parse(next!.data) as {
        errors: { message: string; extensions: Record<string, unknown> }[];
      };
      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', lastCursor: '3' });
      expect(errors[0]!.message).toContain('500');
      expect(complete?.event).toBe('complete');
    }
    // A cursor past what the hub has handed out but in the log (events whose publish has not
    // reached the hub: these never are) is a plain resume.
    await appendRunEvents(harness.db, workspaceId, 2);
    const stream = await openSse(`${harness.worker.url}/graphql/stream`, apiKey, {
      query: DELIVERY_EVENTS,
      variables: { after: '4' },
    });
    const [message] = await stream.nexts(1, 10_000);
    expect(eventOf(message!).cursor).toBe('5');
    stream.drop();
  });

  it('refuses a Last-Event-ID that is not a cursor instead of silently starting from now', async () => {
    const { workspaceId, apiKey } = await seedWorkspace(harness.db);
    await appendRunEvents(harness.db, workspaceId, 3);
    // Past any cursor (16 digits, as `after` refuses too), or not a number at all: read as no
    // header, the stream went live and the events after the client's real position never came.
    for (const lastEventId of ['1234567890123456', 'abc', '4x']) {
      for (const after of [undefined, '1']) {
        const stream = await openSse(
          `${harness.worker.url}/graphql/stream`,
          apiKey,
          { query: DELIVERY_EVENTS, variables: after === undefined ? {} : { after } },
          { 'last-event-id': lastEventId },
        );
        const ended = await Promise.race([
          stream.ended.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
        ]);
        stream.drop();
        expect(ended).toBe(true);
        expect(stream.messages.map((message) => message.event)).toEqual(['next', 'complete']);
        const { errors } = JSON.parse(stream.messages[0]!.data) as {
          errors: { message: string; extensions: Record<string, unknown> }[];
        };
        expect(errors).toEqual([
          expect.objectContaining({
            message: expect.stringContaining('Last-Event-ID'),
            extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
          }),
        ]);
      }
    }
  });

  it('reports a bad `after` or filter id inside the stream with its own message, in both modes', async () => {
    const { apiKey } = await seedWorkspace(harness.db);
    for (const variables of [{ after: 'abc' }, { filter: { runId: 'not-an-id' } }]) {
      const stream = await openSse(`${harness.worker.url}/graphql/stream`, apiKey, {
        query: DELIVERY_EVENTS,
        variables,
      });
      expect(stream.status).toBe(200);
      await stream.ended;
      expect(stream.messages.map((message) => message.event)).toEqual(['next', 'complete']);
      const { errors } = JSON.parse(stream.messages[0]!.data) as {
        errors: { message: string; extensions: Record<string, unknown> }[];
      };
      expect(errors).toEqual([
        expect.objectContaining({
          message:
            'after' in variables ? expect.stringContaining('`after`') : 'filter.runId is not an id',
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
        }),
      ]);
    }
    // The graphql-sse client in single-connection mode hears the error as a result and
    // completes, instead of retrying an operation request answered 400.
    const client = createClient({
      url: `${harness.worker.url}/graphql/stream`,
      headers: { authorization: `Bearer ${apiKey}` },
      singleConnection: true,
      retryAttempts: 0,
    });
    try {
      const heard = await new Promise<unknown[]>((resolve, reject) => {
        const results: unknown[] = [];
        client.subscribe(
          { query: DELIVERY_EVENTS, variables: { after: 'abc' } },
          {
            next: (result) => results.push(result),
            error: reject,
            complete: () => resolve(results),
          },
        );
      });
      expect(heard).toEqual([
        expect.objectContaining({
          errors: [expect.objectContaining({ message: expect.stringContaining('`after`') })],
        }),
      ]);
    } finally {
      client.dispose();
    }
  });
});
