import { isUuid } from '../../workflow/ids';

/**
 * What travels on the dispatch queue: ids only: Postgres is the source of truth.
 * `visit` is the run's `stepVisit` when the message was sent, so that a message for a step the
 * run has already left is recognised as stale and dropped.
 */
export interface DispatchMessage {
  runId: string;
  visit: number;
  /**
   * The slot its channel's pacer reserved (edge/pacing) for the send's attempt `attempt`, at
   * `atMs` (epoch ms): that attempt goes at that time without asking again. Set only on the
   * messages dispatch puts back to wait for a slot; a queue retry of the message after that
   * attempt failed carries it too, and is paced again (its attempt is a later one).
   */
  slot?: PacedSlot;
}

/** A send slot: the attempt it is for and when it is (epoch ms). */
export interface PacedSlot {
  attempt: number;
  atMs: number;
  /**
   * The channel's rate the slot was reserved at: a send back after the rate changed asks again.
   * Absent on messages sent before slots carried it.
   */
  perSecond?: number;
}

/**
 * The queue body as sent: the message with its format version. Bodies without `v` (sent before
 * it existed) are version 1; another version is not ours to read and is dropped.
 */
export interface DispatchQueueBody extends DispatchMessage {
  v: 1;
}

/** The body that carries `message` on the queue. */
export function dispatchQueueBody({ runId, visit, slot }: DispatchMessage): DispatchQueueBody {
  return slot ? { v: 1, runId, visit, slot } : { v: 1, runId, visit };
}

/** A message to enqueue, optionally delayed (waits, chained waits). */
export interface DispatchRequest extends DispatchMessage {
  delaySeconds?: number;
}

/** The largest visit a run can be at: `runs.step_visit` is a Postgres integer. */
export const MAX_VISIT = 2_147_483_647;

/**
 * The message in `body`, or null when it is not one (malformed messages are dropped). The run
 * id comes back in lower case, as Postgres writes uuids: the batch matches messages to the runs
 * it loads by that text. A visit no run can be at is malformed too: the load compares it with
 * `step_visit`, and a number Postgres cannot read as an integer would fail the whole batch.
 */
export function parseDispatchMessage(body: unknown): DispatchMessage | null {
  if (typeof body !== 'object' || body === null) return null;
  const { v, runId, visit, slot } = body as Record<string, unknown>;
  if (v !== undefined && v !== 1) return null;
  if (!isUuid(runId)) return null;
  if (typeof visit !== 'number' || !Number.isInteger(visit) || visit < 0 || visit > MAX_VISIT) {
    return null;
  }
  const paced = pacedSlot(slot);
  return paced
    ? { runId: runId.toLowerCase(), visit, slot: paced }
    : { runId: runId.toLowerCase(), visit };
}

/** The slot in a message's `slot`, or undefined when it is not one (the send is paced again). */
function pacedSlot(value: unknown): PacedSlot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { attempt, atMs, perSecond } = value as Record<string, unknown>;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) return undefined;
  if (attempt > MAX_VISIT) return undefined;
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) return undefined;
  return Number.isInteger(perSecond) && (perSecond as number) >= 1
    ? { attempt, atMs, perSecond: perSecond as number }
    : { attempt, atMs };
}
