import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryRows } from '../../db/rows';
import { log } from '../log';
import { type DispatchSender, enqueueRuns } from './enqueue';
import { STALE_ENQUEUE_SECONDS, SWEEP_LIMIT, UNENQUEUED_GRACE_SECONDS } from './limits';
import type { DispatchRequest } from './message';

export interface SweepLimits {
  limit?: number;
  staleSeconds?: number;
  graceSeconds?: number;
}

/**
 * What the sweep re-enqueues, in one read of the active runs (both kinds are found among them,
 * through `runs_active_idx`), each kind bounded by `limit` on its own so that neither starves
 * the other:
 * - `stale`: due, and its message missing: committed but never enqueued (the request died
 *   between commit and enqueue, or the queue refused), or enqueued long ago without the run
 *   moving since (the message was lost). Oldest due first.
 * - `lease`: its delivery claimed by a consumer whose lease ran out (it crashed, possibly after
 *   the provider accepted): the message is sent again, and the claim re-sends with the same
 *   idempotency key and Message-ID (edge/dispatch/claim.ts). Oldest expiry first.
 */
async function sweptRuns(
  db: Database,
  limits: Required<SweepLimits>,
): Promise<(DispatchRequest & { kind: 'stale' | 'lease' })[]> {
  return queryRows(
    db,
    sql`with active as materialized (
        select id, step_visit, due_at, enqueued_at, updated_at, lease_until from runs
        where status = 'active'
      )
      (select 'stale' as kind, id as "runId", step_visit as "visit" from active
       where due_at <= now()
         and ((enqueued_at is null
               and updated_at < now() - ${limits.graceSeconds} * interval '1 second')
           or enqueued_at < now() - ${limits.staleSeconds} * interval '1 second')
       order by due_at
       limit ${limits.limit})
      union all
      (select 'lease', id, step_visit from active
       where lease_until < now()
         -- once re-enqueued for this expiry, leave it to that message
         and (enqueued_at is null or enqueued_at < lease_until)
       order by lease_until
       limit ${limits.limit})`,
  );
}

/**
 * The cron sweep (wrangler.toml `[triggers]`): re-enqueues work that was committed but whose
 * message never came or was lost, and deliveries whose claim expired. Bounded per run; a
 * backlog is worked off over several sweeps. Duplicates are harmless: a message for a run
 * that has moved on is dropped, and a claimed delivery is never sent twice at once.
 */
export async function sweep(
  db: Database,
  sender: DispatchSender,
  options: SweepLimits = {},
): Promise<{ runs: number; leases: number }> {
  const limits = {
    limit: options.limit ?? SWEEP_LIMIT,
    staleSeconds: options.staleSeconds ?? STALE_ENQUEUE_SECONDS,
    graceSeconds: options.graceSeconds ?? UNENQUEUED_GRACE_SECONDS,
  };
  const found = await sweptRuns(db, limits);
  const runs = found.filter((run) => run.kind === 'stale');
  const leases = found.filter((run) => run.kind === 'lease');
  const requests = new Map<string, DispatchRequest>();
  for (const { runId, visit } of found) requests.set(`${runId}:${visit}`, { runId, visit });
  const enqueued = await enqueueRuns(db, sender, [...requests.values()]);
  if (enqueued.error) log('error', 'sweep: enqueueing failed', { error: enqueued.error });
  if (requests.size > 0) {
    log('info', 'sweep: re-enqueued runs', { runs: runs.length, leases: leases.length });
  }
  return { runs: runs.length, leases: leases.length };
}
