import { createGraphQLError } from 'graphql-yoga';

/** A cursor as streams hand them out: a decimal string, at most 15 digits (a safe integer). */
const CURSOR = /^\d{1,15}$/;

/**
 * Where a stream starts: after the operation's `after` argument or the `Last-Event-ID` header,
 * else from `liveFrom` (the hub's last handed-out cursor when the request arrived: only new
 * events). With both, the later one: EventSource resends the request it opened with, `after`
 * included, adding `Last-Event-ID` on every reconnect, and starting from `after` again would
 * repeat everything the stream had sent since.
 *
 * A `Last-Event-ID` that is not a cursor is refused as a bad `after` is: read as absent, the
 * stream would start from now and the client, which asked to resume, would silently miss every
 * event since the id it holds. (EventSource sends the header only with a non-empty id.)
 */
export function resumeCursor(
  after: number | null,
  lastEventId: string | null,
  liveFrom: number,
): number {
  if (lastEventId && !CURSOR.test(lastEventId)) {
    throw createGraphQLError('The Last-Event-ID header must be a cursor from an earlier event', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const header = lastEventId ? Number(lastEventId) : null;
  if (after === null) return header ?? liveFrom;
  return header === null ? after : Math.max(after, header);
}
