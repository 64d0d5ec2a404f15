import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { apiSchema } from '../../api/server';
import type { FrameRenderer, FrameWritable } from './live-frames';
import { useSharedEventResults } from './shared-results';
import type { LiveEvents, LoggedEvent } from './types';

/**
 * The renderer the subscribe function gives a stream that takes written frames (the hub's
 * distinct-connections streams): one key per distinct operation, and the message graphql-sse
 * would have printed, with the event's cursor as its id. Runs the real schema in-process.
 */

const STREAM = '/graphql/stream';
const QUERY = /* GraphQL */ `
  subscription Sent($withData: Boolean!) {
    deliveryEvents(filter: { types: [DELIVERY_SENT] }) { cursor type data @include(if: $withData) }
  }
`;

const event: LoggedEvent = {
  workspaceId: 'ws',
  cursor: 42,
  refs: { workflowId: null, runId: null, contactId: null, channelId: null },
  event: {
    v: 1,
    cursor: '42',
    type: 'delivery.sent',
    occurredAt: new Date(0).toISOString(),
    data: { delivery: { id: 'd1' } } as never,
  },
};

/** Subscribes once with `variables` and returns the renderer its stream was given. */
async function rendererFor(variables: Record<string, unknown>): Promise<FrameRenderer> {
  let renderer: FrameRenderer | undefined;
  const liveEvents: LiveEvents = {
    subscribe() {
      const writable: FrameWritable & AsyncIterable<never> = {
        async *writeFrames(given) {
          renderer = given;
          yield* [];
        },
        [Symbol.asyncIterator]() {
          throw new Error('read through writeFrames');
        },
      };
      return writable;
    },
  };
  const yoga = createYoga({
    schema: apiSchema(),
    graphqlEndpoint: STREAM,
    plugins: [useGraphQLSSE({ endpoint: STREAM }), useSharedEventResults()],
    context: () => ({ workspaceId: 'ws', apiKeyId: 'key', scopes: new Set(['read']), liveEvents }),
  });
  const response = await yoga.fetch(`http://hub${STREAM}`, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables }),
  });
  await response.text();
  if (!renderer) throw new Error('the stream was not given a renderer');
  return renderer;
}

const decoder = new TextDecoder();

describe('shared event results for written streams', () => {
  it('renders an event as the next message graphql-sse prints, with the cursor as its id', async () => {
    const renderer = await rendererFor({ withData: true });
    expect(decoder.decode(renderer.render(event))).toBe(
      'id: 42\nevent: next\ndata: ' +
        '{"data":{"deliveryEvents":{"cursor":"42","type":"DELIVERY_SENT","data":{"delivery":{"id":"d1"}}}}}\n\n',
    );
  });

  it('shares a key between identical operations and not between different variables', async () => {
    const [one, same, other] = await Promise.all([
      rendererFor({ withData: true }),
      rendererFor({ withData: true }),
      rendererFor({ withData: false }),
    ]);
    expect(same.key).toBe(one.key);
    expect(other.key).not.toBe(one.key);
    expect(decoder.decode(other.render(event))).toBe(
      'id: 42\nevent: next\ndata: {"data":{"deliveryEvents":{"cursor":"42","type":"DELIVERY_SENT"}}}\n\n',
    );
  });
});
