import { describe, expect, it } from 'vitest';
import { FrameOutlet, nextFrame } from './live-frames';
import { guardEventStream } from './stream-guard';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function nextMessage(index: number): string {
  return `event: next\ndata: {"n":${index}}\n\n`;
}

/** A frame as the fan-out writes it (edge/events/live-frames.ts), and its text. */
function frame(cursor: number): Uint8Array {
  return nextFrame(cursor, `{"data":{"n":${cursor}}}`);
}

function text(cursor: number): string {
  return decoder.decode(frame(cursor));
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
  it('writes the messages graphql-sse produced together as one chunk, a later burst as a later one', async () => {
    const upstream = source();
    const guarded = guardEventStream(upstream.stream, { maxQueuedMessages: 100, onEnd() {} });
    const reader = guarded.getReader();
    upstream.push(':\n\n', nextMessage(1), nextMessage(2), nextMessage(3));
    expect(await readChunk(reader)).toBe(
      `:\n\n${nextMessage(1)}${nextMessage(2)}${nextMessage(3)}`,
    );
    upstream.push(nextMessage(4));
    expect(await readChunk(reader)).toBe(nextMessage(4));
  });

  it("writes the fan-out's frames in one chunk per write, after what graphql-sse produced before them", async () => {
    const upstream = source();
    const outlet = new FrameOutlet();
    // Written while graphql-sse still prepares the response: they wait for the stream.
    outlet.write([frame(1)]);
    const guarded = guardEventStream(upstream.stream, {
      outlet,
      maxQueuedMessages: 100,
      onEnd() {},
    });
    const reader = guarded.getReader();
    expect(await readChunk(reader)).toBe(text(1));
    upstream.push(':\n\n');
    // Let the guard read the comment; it is not written yet (the flush waits for a macrotask).
    await Promise.resolve();
    await Promise.resolve();
    expect(outlet.write([frame(2), frame(3)])).toBe(true);
    expect(await readChunk(reader)).toBe(':\n\n');
    expect(await readChunk(reader)).toBe(`${text(2)}${text(3)}`);
    upstream.push('event: complete\ndata:\n\n');
    upstream.close();
    expect(await readChunk(reader)).toBe('event: complete\ndata:\n\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('ends a stream the fan-out writes faster than it is read, keeping what waits readable', async () => {
    const upstream = source();
    const outlet = new FrameOutlet();
    let ended = 0;
    const guarded = guardEventStream(upstream.stream, {
      outlet,
      maxQueuedMessages: 5,
      onEnd() {
        ended++;
      },
    });
    expect(outlet.write([1, 2, 3, 4].map(frame))).toBe(true);
    expect(outlet.write([5, 6, 7, 8].map(frame))).toBe(false);
    expect(ended).toBe(1);
    expect(upstream.cancelled).toBe(true);
    // Nothing more is taken once the stream has ended.
    expect(outlet.write([frame(9)])).toBe(false);
    const reader = guarded.getReader();
    let received = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += decoder.decode(value);
    }
    expect(received).toBe([1, 2, 3, 4, 5, 6, 7, 8].map(text).join(''));
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
