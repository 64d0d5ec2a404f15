import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { jsonParam, queryRows, uuidArrayParam } from '../../db/rows';
import { log } from '../log';
import { ENQUEUE_CHUNK_SIZE, MAX_QUEUE_DELAY_SECONDS } from './limits';
import { type DispatchQueueBody, type DispatchRequest, dispatchQueueBody } from './message';

/** Where dispatch messages go: the Worker's queue binding, or anything with the same shape. */
export interface DispatchSender {
  send(requests: readonly DispatchRequest[]): Promise<void>;
}

/** The part of a Cloudflare Queue binding the sender uses. */
export interface DispatchQueue {
  sendBatch(
    messages: Iterable<{ body: DispatchQueueBody; delaySeconds?: number }>,
  ): Promise<unknown>;
}

/** Clamps a delay to what one queue message may carry; longer waits are chained. */
export function queueDelay(seconds: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
}

/** A sender over a queue binding: `sendBatch` in chunks of the queue's batch limit. */
export function queueSender(queue: DispatchQueue): DispatchSender {
  return {
    async send(requests) {
      for (let start = 0; start < requests.length; start += ENQUEUE_CHUNK_SIZE) {
        const chunk = requests.slice(start, start + ENQUEUE_CHUNK_SIZE);
        await queue.sendBatch(
          chunk.map(function toQueueMessage({ runId, visit, delaySeconds }) {
            const delay = queueDelay(delaySeconds ?? 0);
            const body = dispatchQueueBody({ runId, visit });
            return delay > 0 ? { body, delaySeconds: delay } : { body };
          }),
        );
      }
    },
  };
}

/**
 * Sends the messages for rows that are already committed, then stamps `enqueued_at` with the
 * moment each message becomes visible (now + its delay), guarded by the visit so a run that has
 * moved on is not touched. When sending fails nothing is stamped and the sweep re-enqueues the
 * runs later; the error is returned, not thrown, because the rows are safe either way. A
 * failed stamp is only logged: the messages are already on their way.
 */
export async function enqueueRuns(
  db: Database,
  sender: DispatchSender | undefined,
  requests: readonly DispatchRequest[],
): Promise<{ enqueued: number; error?: unknown }> {
  if (requests.length === 0 || !sender) return { enqueued: 0 };
  try {
    await sender.send(requests);
  } catch (error) {
    return { enqueued: 0, error };
  }
  const stamps = requests.map((request) => ({
    run_id: request.runId,
    visit: request.visit,
    delay: queueDelay(request.delaySeconds ?? 0),
  }));
  try {
    await queryRows(
      db,
      sql`update runs set enqueued_at = now() + r.delay * interval '1 second'
          from jsonb_to_recordset(${jsonParam(stamps)}::jsonb) as r(run_id uuid, visit int, delay int)
          where runs.id = any(${uuidArrayParam(stamps.map((stamp) => stamp.run_id))})
            and runs.id = r.run_id and runs.step_visit = r.visit
            and (runs.status = 'active') is true`,
    );
  } catch (error) {
    // The messages are on the queue; only the bookkeeping is missing. The sweep may enqueue
    // these runs once more, which the claim makes harmless: failing the caller would not be.
    log('warn', 'dispatch: enqueued, but stamping enqueued_at failed', {
      runs: requests.length,
      error,
    });
  }
  return { enqueued: requests.length };
}

/**
 * Sends the messages of runs whose `enqueued_at` the statement that moved them already stamped
 * (`recordAndMove` with `stampEnqueued`): one statement fewer per batch than `enqueueRuns`, and
 * one row version fewer per run. When sending fails, the stamps are cleared again (guarded by
 * the visit), so the sweep re-enqueues the runs after its grace period, as for runs never
 * enqueued; if clearing fails too, the sweep still finds them once the stamp is stale.
 */
export async function enqueueStamped(
  db: Database,
  sender: DispatchSender,
  requests: readonly DispatchRequest[],
): Promise<{ enqueued: number; error?: unknown }> {
  if (requests.length === 0) return { enqueued: 0 };
  try {
    await sender.send(requests);
    return { enqueued: requests.length };
  } catch (error) {
    const stamped = requests.map(({ runId, visit }) => ({ run_id: runId, visit }));
    try {
      await queryRows(
        db,
        sql`update runs set enqueued_at = null
            from jsonb_to_recordset(${jsonParam(stamped)}::jsonb) as r(run_id uuid, visit int)
            where runs.id = any(${uuidArrayParam(stamped.map((stamp) => stamp.run_id))})
              and runs.id = r.run_id and runs.step_visit = r.visit
              and (runs.status = 'active') is true`,
      );
    } catch (unstampError) {
      log('warn', 'dispatch: enqueueing failed, and clearing enqueued_at failed too', {
        runs: requests.length,
        error: unstampError,
      });
    }
    return { enqueued: 0, error };
  }
}
