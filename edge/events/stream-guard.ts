/**
 * Wraps an SSE response body from the GraphQL-over-SSE handler: stamps each `next` message of
 * a distinct-connection stream with `id: <cursor>` (so that EventSource and `curl` clients can
 * resume with `Last-Event-ID`), coalesces the messages produced together into one write, bounds
 * what may wait for a slow reader, and reports when the stream ends. graphql-sse queues messages
 * for a slow reader without limit; this reads them eagerly and ends the stream once more than
 * `maxQueuedMessages` wait: the reader still gets everything queued, then reconnects after its
 * last id, and replay fills the rest.
 *
 * Why coalesce: graphql-sse enqueues one chunk per message, and workerd writes each chunk of a
 * response body as its own write, through every stream between the hub and the socket (the
 * Durable Object's response, the Worker's pass-through, the client's connection). A publish of
 * 100 events to 10 subscribers was 1,000 writes, each waiting for the one before; the last
 * message of a burst reached the socket long after the first. Messages read before the next
 * macrotask are now joined into one chunk: one write per stream per burst, and a lone event
 * waits for one turn of the event loop at most.
 */

export interface StreamGuardOptions {
  /** Cursors of the events yielded, in order; one per `next` message. Absent: no ids. */
  cursors?: number[];
  maxQueuedMessages: number;
  onEnd(): void;
}

const NEXT_PREFIX = new TextEncoder().encode('event: next');
const encoder = new TextEncoder();

function startsWith(chunk: Uint8Array, prefix: Uint8Array): boolean {
  if (chunk.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) {
    if (chunk[index] !== prefix[index]) return false;
  }
  return true;
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
        /** Writes what was read since the last flush as one chunk; false once too far behind. */
        const flush = (): boolean => {
          if (flushing) clearTimeout(flushing);
          flushing = null;
          if (pending.length === 0 || ended) return true;
          const joined = concat(pending);
          messagesIn.set(joined, pending.length);
          pending = [];
          controller.enqueue(joined);
          return (controller.desiredSize ?? 0) >= -options.maxQueuedMessages;
        };
        void (async function pump() {
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done || ended) break;
              let chunk = value;
              if (options.cursors && startsWith(chunk, NEXT_PREFIX)) {
                const cursor = options.cursors.shift();
                if (cursor !== undefined) {
                  const id = encoder.encode(`id: ${cursor}\n`);
                  const stamped = new Uint8Array(id.length + chunk.length);
                  stamped.set(id);
                  stamped.set(chunk, id.length);
                  chunk = stamped;
                }
              }
              pending.push(chunk);
              flushing ??= setTimeout(() => {
                if (!flush()) void reader.cancel();
              }, 0);
              if (pending.length >= options.maxQueuedMessages && !flush()) {
                // Too slow: stop producing; what is queued still reaches the reader.
                await reader.cancel();
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
