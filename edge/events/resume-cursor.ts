/**
 * Where a stream starts: after the operation's `after` argument or the `Last-Event-ID` header,
 * else from `liveFrom` (the hub's last handed-out cursor when the request arrived: only new
 * events). With both, the later one: EventSource resends the request it opened with, `after`
 * included, adding `Last-Event-ID` on every reconnect, and starting from `after` again would
 * repeat everything the stream had sent since.
 */
export function resumeCursor(
  after: number | null,
  lastEventId: string | null,
  liveFrom: number,
): number {
  const header = lastEventId && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : null;
  if (after === null) return header ?? liveFrom;
  return header === null ? after : Math.max(after, header);
}
