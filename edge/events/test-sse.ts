/**
 * Test support: a GraphQL-over-SSE reader in distinct-connections mode written against the
 * protocol itself (POST the operation with `Accept: text/event-stream`, read `event:`/`id:`/
 * `data:` messages separated by a blank line), so that tests see the wire as `curl -N` does.
 */

export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
  /** Date.now() when the message was read off the wire. */
  receivedAt: number;
}

export interface SseStream {
  status: number;
  messages: SseMessage[];
  /** Resolves when `count` `next` messages have arrived (or the stream ended). */
  nexts(count: number, timeoutMs?: number): Promise<SseMessage[]>;
  /** Drops the connection, as a network failure would. */
  drop(): void;
  ended: Promise<void>;
}

export const DELIVERY_EVENTS = /* GraphQL */ `
  subscription Events($filter: DeliveryEventFilter, $after: String) {
    deliveryEvents(filter: $filter, after: $after) { cursor type runId deliveryId data }
  }
`;

export async function openSse(
  url: string,
  apiKey: string,
  body: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  let done = false;
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const message: SseMessage = {
            event: 'message',
            id: undefined,
            data: '',
            receivedAt: Date.now(),
          };
          let comment = true;
          let dataLines = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            comment = false;
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') message.event = value;
            else if (field === 'id') message.id = value;
            // WHATWG HTML, "Interpreting an event stream": each data line is appended with a LF.
            else if (field === 'data') message.data += (dataLines++ > 0 ? '\n' : '') + value;
          }
          if (!comment) messages.push(message);
        }
        notify();
      }
    } catch {
      // Dropped on purpose, or the server ended it.
    } finally {
      done = true;
      notify();
    }
  })();
  const nexts = (list: SseMessage[]) => list.filter((message) => message.event === 'next');
  return {
    status: response.status,
    messages,
    ended,
    drop: () => abort.abort(),
    nexts(count, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = nexts(messages);
          if (got.length >= count || done) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(got);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${nexts(messages).length} of ${count} events arrived`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The `deliveryEvents` payload of a `next` message. */
export function eventOf(message: SseMessage): {
  cursor: string;
  type: string;
  runId: string;
  deliveryId: string | null;
} {
  const parsed = JSON.parse(message.data) as {
    data?: { deliveryEvents: ReturnType<typeof eventOf> };
    errors?: unknown;
  };
  if (!parsed.data) throw new Error(`an error arrived: ${message.data}`);
  return parsed.data.deliveryEvents;
}
