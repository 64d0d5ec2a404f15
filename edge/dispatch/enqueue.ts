import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { jsonParam, queryRows, uuidArrayParam } from '../../db/rows';
import { log } from '../log';
import { ENQUEUE_CHUNK_SIZE, MAX_QUEUE_DELAY_SECONDS } from './limits';
import { type DispatchQueueBody, type DispatchRequest, dispatchQueueBody } from './message';
import { shardOf } from './shards';

/**
 * Where dispatch messages go: the Worker's queue bindings, or anything with the same shape.
 * `send` throws when some messages are not on a queue; an EnqueueError says which, any other
 * error means none.
 */
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

/**
 * A send that left some requests off the queue because their shard's `sendBatch` failed. The
 * other shards' messages are on their way; `unsent` is what the caller must leave to the sweep.
 */
export class EnqueueError extends Error {
  override name = 'EnqueueError';
  constructor(
    /** The requests whose messages are not on a queue. */
    readonly unsent: readonly DispatchRequest[],
    /** Each failed shard and its error. */
    readonly failures: readonly { shard: number; error: unknown }[],
  ) {
    super(
      `sendBatch failed on dispatch shard ${failures
        .map(
          ({ shard, error }) =>
            `${shard} (${error instanceof Error ? error.message : String(error)})`,
        )
        .join(', ')}; ${unsent.length} messages not enqueued`,
    );
  }
}

/** The requests `error` left off the queue: all of them when it does not say which. */
function unsentOf(
  error: unknown,
  requests: readonly DispatchRequest[],
): ReadonlySet<DispatchRequest> {
  return new Set(error instanceof EnqueueError ? error.unsent : requests);
}

function toQueueMessage({ runId, visit, slot, delaySeconds }: DispatchRequest) {
  const delay = queueDelay(delaySeconds ?? 0);
  const body = dispatchQueueBody(slot ? { runId, visit, slot } : { runId, visit });
  return delay > 0 ? { body, delaySeconds: delay } : { body };
}

/**
 * A sender over the dispatch shards' queue bindings (edge/dispatch/queues.ts): each request goes
 * to its run's shard (shardOf), each shard gets `sendBatch` calls of at most the queue's batch
 * limit, one after another, while the shards are sent to at once. A shard whose `sendBatch`
 * fails stops there; the others go on, and the send then throws an EnqueueError naming what
 * was not sent. With one shard this is one queue, as before sharding.
 */
export function queueSender(shards: readonly DispatchQueue[]): DispatchSender {
  return {
    async send(requests) {
      if (shards.length === 0) throw new Error('no dispatch queue is bound (DISPATCH_QUEUE)');
      const byShard = shards.map((): DispatchRequest[] => []);
      for (const request of requests) {
        byShard[shardOf(request.runId, shards.length)]!.push(request);
      }
      const unsent: DispatchRequest[] = [];
      const failures: { shard: number; error: unknown }[] = [];
      await Promise.all(
        byShard.map(async function sendShard(shardRequests, shard) {
          for (let start = 0; start < shardRequests.length; start += ENQUEUE_CHUNK_SIZE) {
            const chunk = shardRequests.slice(start, start + ENQUEUE_CHUNK_SIZE);
            try {
              await shards[shard]!.sendBatch(chunk.map(toQueueMessage));
            } catch (error) {
              failures.push({ shard, error });
              unsent.push(...shardRequests.slice(start));
              return;
            }
          }
        }),
      );
      if (failures.length > 0) throw new EnqueueError(unsent, failures);
    },
  };
}

/**
 * Sends the messages for rows that are already committed, then stamps `enqueued_at` with the
 * moment each message becomes visible (now + its delay), guarded by the visit so a run that has
 * moved on is not touched. Runs whose messages were not sent (all, or a failed shard's) are not
 * stamped, and the sweep re-enqueues them later; the error is returned, not thrown, because the
 * rows are safe either way. A failed stamp is only logged: the messages are already on their way.
 */
export async function enqueueRuns(
  db: Database,
  sender: DispatchSender | undefined,
  requests: readonly DispatchRequest[],
): Promise<{ enqueued: number; error?: unknown }> {
  if (requests.length === 0 || !sender) return { enqueued: 0 };
  let sent = requests;
  let failure: { error: unknown } | undefined;
  try {
    await sender.send(requests);
  } catch (error) {
    failure = { error };
    // Shards that took their messages are stamped; the rest stay for the sweep.
    const unsent = unsentOf(error, requests);
    sent = requests.filter((request) => !unsent.has(request));
    if (sent.length === 0) return { enqueued: 0, error };
  }
  const stamps = sent.map((request) => ({
    run_id: request.runId,
    visit: request.visit,
    delay: queueDelay(request.delaySeconds ?? 0),
  }));
  try {
    await queryRows(
      db,
      sql`update runs set enqueued_at = now() + r.delay * interval '1 second'
          from json_to_recordset(${jsonParam(stamps)}::json) as r(run_id uuid, visit int, delay int)
          where runs.id = any(${uuidArrayParam(stamps.map((stamp) => stamp.run_id))})
            and runs.id = r.run_id and runs.step_visit = r.visit
            and (runs.status = 'active') is true`,
    );
  } catch (error) {
    // The messages are on the queue; only the bookkeeping is missing. The sweep may enqueue
    // these runs once more, which the claim makes harmless: failing the caller would not be.
    log('warn', 'dispatch: enqueued, but stamping enqueued_at failed', {
      runs: sent.length,
      error,
    });
  }
  return { enqueued: sent.length, ...failure };
}

/**
 * Sends the messages of runs whose `enqueued_at` the statement that moved them already stamped
 * (`recordAndMove` with `stampEnqueued`): one statement fewer per batch than `enqueueRuns`, and
 * one row version fewer per run. When sending fails, the stamps of the runs whose messages were
 * not sent (all, or a failed shard's) are cleared again (guarded by the visit), so the sweep
 * re-enqueues those runs after its grace period, as for runs never enqueued; if clearing fails
 * too, the sweep still finds them once the stamp is stale.
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
    // Only the runs whose messages are not on a queue (their shard failed) lose their stamp.
    const unsent = unsentOf(error, requests);
    const stamped = [...unsent].map(({ runId, visit }) => ({ run_id: runId, visit }));
    try {
      await queryRows(
        db,
        sql`update runs set enqueued_at = null
            from json_to_recordset(${jsonParam(stamped)}::json) as r(run_id uuid, visit int)
            where runs.id = any(${uuidArrayParam(stamped.map((stamp) => stamp.run_id))})
              and runs.id = r.run_id and runs.step_visit = r.visit
              and (runs.status = 'active') is true`,
      );
    } catch (unstampError) {
      log('warn', 'dispatch: enqueueing failed, and clearing enqueued_at failed too', {
        runs: unsent.size,
        error: unstampError,
      });
    }
    return { enqueued: requests.length - unsent.size, error };
  }
}
