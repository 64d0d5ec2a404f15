import type { FrameOutlet } from './live-frames';

/**
 * Wraps an SSE response body from the GraphQL-over-SSE handler: merges in the frames the
 * fan-out writes directly (`outlet`, distinct-connections streams: edge/events/live-frames.ts),
 * coalesces the messages graphql-sse produced together into one write, bounds what may wait
 * for a slow reader, and reports when the stream ends. graphql-sse queues messages for a slow
 * reader without limit; this reads them eagerly and ends the stream once more than
 * `maxQueuedMessages` wait: the reader still gets everything queued, then reconnects after its
 * last id, and replay fills the rest.
 *
 * Why coalesce: graphql-sse enqueues one chunk per message, and workerd writes each chunk of a
 * response body as its own write, through every stream between the hub and the socket (the
 * Durable Object's response, the Worker's pass-through, the client's connection). Messages read
 * before the next macrotask are joined into one chunk; the fan-out's frames arrive one write
 * per burst already.
 */

export interface StreamGuardOptions {
  /** Where the fan-out writes this stream's `next` messages, if it does. */
  outlet?: FrameOutlet;
  maxQueuedMessages: number;
  /** Ends the stream from outside (the hub, when its API key is revoked), as a slow one ends. */
  signal?: AbortSignal;
  onEnd(): void;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** The guarded body; graphql-sse's handler enqueues one whole message per chunk. */
export function guardEventStream(
  body: ReadableStream<Uint8Array>,
  options: StreamGuardOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd();
  };
  /** How many SSE messages each enqueued chunk holds: the queue's size is counted in messages. */
  const messagesIn = new WeakMap<Uint8Array, number>();
  let pending: Uint8Array[] = [];
  let flushing: ReturnType<typeof setTimeout> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        /** Enqueues messages as one chunk; false once the reader is too far behind. */
        const enqueue = (messages: readonly Uint8Array[]): boolean => {
          if (ended) return false;
          if (messages.length === 0) return true;
          const joined = concat(messages);
          messagesIn.set(joined, messages.length);
          controller.enqueue(joined);
          return (controller.desiredSize ?? 0) >= -options.maxQueuedMessages;
        };
        /** Writes what graphql-sse produced since the last flush. */
        const flush = (): boolean => {
          if (flushing) clearTimeout(flushing);
          flushing = null;
          const messages = pending;
          pending = [];
          return enqueue(messages);
        };
        /** Too slow: end the stream; what is queued still reaches the reader. */
        const tooSlow = () => {
          if (ended) return;
          controller.close();
          end();
          void reader.cancel();
        };
        options.signal?.addEventListener('abort', tooSlow, { once: true });
        options.outlet?.connect(function writeFrames(frames) {
          // graphql-sse's messages read before these frames go first.
          if (!flush() || !enqueue(frames)) {
            tooSlow();
            return false;
          }
          return true;
        });
        void (async function pump() {
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done || ended) break;
              pending.push(value);
              flushing ??= setTimeout(() => {
                if (!flush()) tooSlow();
              }, 0);
              if (pending.length >= options.maxQueuedMessages && !flush()) {
                tooSlow();
                break;
              }
            }
            flush();
            if (!ended) controller.close();
          } catch (error) {
            if (!ended) controller.error(error);
          } finally {
            end();
          }
        })();
      },
      async cancel() {
        if (flushing) clearTimeout(flushing);
        end();
        await reader.cancel();
      },
    },
    { highWaterMark: 0, size: (chunk) => messagesIn.get(chunk) ?? 1 },
  );
}
