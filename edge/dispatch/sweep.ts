import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import {
  appendEventsCte,
  deliveryEventData,
  type EventRow,
  eventRowJson,
} from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { publishQuietly } from '../events/publish';
import { type EventPublisher, loggedEventFromRow } from '../events/types';
import { log } from '../log';
import { failQueuedDeliveries } from './cancelled';
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
 * How long after its cancellation a run's claim is looked at: a live consumer renews its lease
 * only while its batch's sends run (minutes at most), so a claim still held a day later is
 * none the sweep could end differently. Bounds the cancelled runs each sweep reads.
 */
const CANCELLED_CLAIM_HORIZON_HOURS = 24;

/**
 * Fails the retry-waiting deliveries of cancelled runs whose claim expired: `cancelRun` left
 * such a run's delivery to the attempt then in flight (its record fails it if its outcome is a
 * retry, edge/dispatch/record.ts), and the consumer making it died before recording. The
 * claim is cleared (a late record of it then records nothing, as for any claim taken over) and
 * the delivery fails with `run_cancelled`, logging its `delivery.failed` in the same statement;
 * a provider status proving the attempt went out still records it as sent. Reached through
 * `runs_cancelled_idx`; bounded by `limit`. Returns the events logged.
 */
export async function failAbandonedCancellations(
  db: Database,
  limit: number = SWEEP_LIMIT,
): Promise<EventRow[]> {
  const rows = await queryRows<{ event: EventRow }>(
    db,
    sql`with abandoned as (
        update runs r set lease_until = null, updated_at = now()
        where r.id in (
          select id from runs
          where status = 'exited' and exit_reason = 'cancelled'
            and ended_at > now() - ${CANCELLED_CLAIM_HORIZON_HOURS} * interval '1 hour'
            and lease_until < now()
          order by ended_at
          limit ${limit}
          for update skip locked
        ) and r.lease_until < now()
        returning r.*
      ),
      given_up as (${failQueuedDeliveries('abandoned', sql`true`)}),
      failed as (
        select f.workspace_id, row_number() over (order by f.run_id) as seq,
               'delivery.failed' as type, ${deliveryEventData('f', 'r')}::jsonb as data,
               r.workflow_id, f.run_id, r.contact_id, f.channel_id, f.id as delivery_id
        from given_up f join abandoned r on r.id = f.run_id
      ),
      ${appendEventsCte('failed', 'logged')}
      select ${eventRowJson('logged')} as event from logged order by logged.cursor`,
  );
  return rows.map((row) => row.event);
}

/**
 * The cron sweep (wrangler.toml `[triggers]`): re-enqueues work that was committed but whose
 * message never came or was lost, and deliveries whose claim expired, and fails the
 * retry-waiting deliveries of cancelled runs whose claim's holder died
 * (failAbandonedCancellations). Bounded per run; a backlog is worked off over several sweeps.
 * Duplicates are harmless: a message for a run that has moved on is dropped, and a claimed
 * delivery is never sent twice at once.
 */
export async function sweep(
  db: Database,
  sender: DispatchSender,
  options: SweepLimits & { events?: EventPublisher } = {},
): Promise<{ runs: number; leases: number; cancelled: number }> {
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
  const failed = await failAbandonedCancellations(db, limits.limit);
  if (failed.length > 0) {
    log('info', "sweep: failed cancelled runs' deliveries whose claim expired", {
      deliveries: failed.length,
    });
    await publishQuietly(options.events, failed.map(loggedEventFromRow));
  }
  return { runs: runs.length, leases: leases.length, cancelled: failed.length };
}
