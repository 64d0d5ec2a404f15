import { describe, expect, it } from 'vitest';
import { guardEventStream } from './stream-guard';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function nextMessage(index: number): string {
  return `event: next\ndata: {"n":${index}}\n\n`;
}

/** A source that enqueues one whole SSE message per chunk, as graphql-sse's handler does. */
function source() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    stream,
    get cancelled() {
      return cancelled;
    },
    push(...messages: string[]) {
      for (const message of messages) controller.enqueue(encoder.encode(message));
    },
    close: () => controller.close(),
  };
}

async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const { value } = await reader.read();
  return decoder.decode(value);
}

describe('guardEventStream', () => {
  it('writes the messages of one burst as one chunk, each next message stamped with its cursor', async () => {
    const upstream = source();
    const cursors = [11, 12, 13];
    const guarded = guardEventStream(upstream.stream, {
      cursors,
      maxQueuedMessages: 100,
      onEnd() {},
    });
    const reader = guarded.getReader();
    upstream.push(':\n\n', nextMessage(1), nextMessage(2), nextMessage(3));
    expect(await readChunk(reader)).toBe(
      `:\n\nid: 11\n${nextMessage(1)}id: 12\n${nextMessage(2)}id: 13\n${nextMessage(3)}`,
    );
    // A later burst is a later chunk.
    cursors.push(14);
    upstream.push(nextMessage(4));
    expect(await readChunk(reader)).toBe(`id: 14\n${nextMessage(4)}`);
  });

  it('ends a stream whose reader lets more than the limit of messages wait, keeping what waits readable', async () => {
    const upstream = source();
    let ended = 0;
    const guarded = guardEventStream(upstream.stream, {
      maxQueuedMessages: 5,
      onEnd() {
        ended++;
      },
    });
    const reader = guarded.getReader();
    // Nobody reads while 8 messages arrive in two bursts.
    upstream.push(...[1, 2, 3, 4].map(nextMessage));
    await new Promise((resolve) => setTimeout(resolve, 5));
    upstream.push(...[5, 6, 7, 8].map(nextMessage));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(upstream.cancelled).toBe(true);
    expect(ended).toBe(1);
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toBe([1, 2, 3, 4, 5, 6, 7, 8].map(nextMessage).join(''));
  });

  it('reports the end once when the upstream closes', async () => {
    const upstream = source();
    let ended = 0;
    const guarded = guardEventStream(upstream.stream, {
      maxQueuedMessages: 5,
      onEnd() {
        ended++;
      },
    });
    const reader = guarded.getReader();
    upstream.push(nextMessage(1));
    upstream.close();
    expect(await readChunk(reader)).toBe(nextMessage(1));
    expect((await reader.read()).done).toBe(true);
    expect(ended).toBe(1);
  });
});
