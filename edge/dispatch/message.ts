import { isUuid } from '../../workflow/ids';

/**
 * What travels on the dispatch queue: ids only: Postgres is the source of truth.
 * `visit` is the run's `stepVisit` when the message was sent, so that a message for a step the
 * run has already left is recognised as stale and dropped.
 */
export interface DispatchMessage {
  runId: string;
  visit: number;
}

/** A message to enqueue, optionally delayed (waits, chained waits). */
export interface DispatchRequest extends DispatchMessage {
  delaySeconds?: number;
}

/** The message in `body`, or null when it is not one (malformed messages are dropped). */
export function parseDispatchMessage(body: unknown): DispatchMessage | null {
  if (typeof body !== 'object' || body === null) return null;
  const { runId, visit } = body as Record<string, unknown>;
  if (!isUuid(runId)) return null;
  if (typeof visit !== 'number' || !Number.isInteger(visit) || visit < 0) return null;
  return { runId, visit };
}
