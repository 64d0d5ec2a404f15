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
 * Active runs that are due and whose message is missing: committed but never enqueued (the
 * request died between commit and enqueue, or the queue refused), or enqueued long ago without
 * the run moving since (the message was lost). Oldest due first, at most `limit`.
 */
async function staleRuns(db: Database, limits: Required<SweepLimits>): Promise<DispatchRequest[]> {
  return queryRows<DispatchRequest>(
    db,
    sql`select id as "runId", step_visit as "visit" from runs
        where status = 'active' and due_at <= now()
          and ((enqueued_at is null and updated_at < now() - ${limits.graceSeconds} * interval '1 second')
            or enqueued_at < now() - ${limits.staleSeconds} * interval '1 second')
        order by due_at
        limit ${limits.limit}`,
  );
}

/**
 * Runs whose delivery is claimed by a consumer whose lease ran out (it crashed, possibly after
 * the provider accepted): their message is sent again, and the claim re-sends with the same
 * idempotency key and Message-ID. The claim is on the run (edge/dispatch/claim.ts), so they are
 * found among the active runs, the way `staleRuns` finds its own.
 */
async function expiredLeases(db: Database, limit: number): Promise<DispatchRequest[]> {
  return queryRows<DispatchRequest>(
    db,
    sql`select id as "runId", step_visit as "visit" from runs
        where status = 'active' and lease_until < now()
          -- once re-enqueued for this expiry, leave it to that message
          and (enqueued_at is null or enqueued_at < lease_until)
        order by lease_until
        limit ${limit}`,
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
  const [runs, leases] = await Promise.all([
    staleRuns(db, limits),
    expiredLeases(db, limits.limit),
  ]);
  const requests = new Map<string, DispatchRequest>();
  for (const request of [...runs, ...leases]) {
    requests.set(`${request.runId}:${request.visit}`, request);
  }
  const enqueued = await enqueueRuns(db, sender, [...requests.values()]);
  if (enqueued.error) log('error', 'sweep: enqueueing failed', { error: enqueued.error });
  if (requests.size > 0) {
    log('info', 'sweep: re-enqueued runs', { runs: runs.length, leases: leases.length });
  }
  return { runs: runs.length, leases: leases.length };
}
