/**
 * Wraps an SSE response body from the GraphQL-over-SSE handler: stamps each `next` message of
 * a distinct-connection stream with `id: <cursor>` (so that EventSource and `curl` clients can
 * resume with `Last-Event-ID`), bounds what may wait for a slow reader, and reports when the
 * stream ends. graphql-sse queues messages for a slow reader without limit; this reads them
 * eagerly and ends the stream once more than `maxQueuedMessages` wait: the reader still gets
 * everything queued, then reconnects after its last id, and replay fills the rest.
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
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
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
              controller.enqueue(chunk);
              if ((controller.desiredSize ?? 0) < -options.maxQueuedMessages) {
                // Too slow: stop producing; what is queued still reaches the reader.
                await reader.cancel();
                break;
              }
            }
            if (!ended) controller.close();
          } catch (error) {
            if (!ended) controller.error(error);
          } finally {
            end();
          }
        })();
      },
      async cancel() {
        end();
        await reader.cancel();
      },
    },
    { highWaterMark: 0 },
  );
}
