import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import {
  appendEventsCte,
  deliveryEventData,
  type EventRow,
  eventRowJson,
  runEventData,
} from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { failQueuedDeliveries, loggedEventFromRow, publishQuietly } from '../../edge/pipeline';
import type { ApiContext } from '../context';

/**
 * Why the API ended a run (`Run.exitReason`): `cancelRun`, or the deletion of its contact or
 * workflow, which deletes the run with it.
 */
export const API_EXIT_REASONS = {
  cancelled: 'cancelled',
  contactDeleted: 'contact_deleted',
  workflowDeleted: 'workflow_deleted',
} as const;

export type ApiExitReason = (typeof API_EXIT_REASONS)[keyof typeof API_EXIT_REASONS];

/**
 * Ends the workspace's active runs that `which` (a condition on `runs`) selects, with `reason`,
 * and appends one `run.exited` per run in the same statement (db/event-log.ts): leaving the
 * workflow is a partner event whoever ends the run, so partners following a run always see it
 * end, and runs that had ended already log nothing. A cancelled run's delivery waiting for its
 * retry will never be sent: the same statement fails it (`run_cancelled`, its last attempt's
 * detail kept after RUN_CANCELLED_DETAIL_PREFIX) and logs its `delivery.failed` before the
 * run's `run.exited`, unless an attempt is in flight (a live claim: that attempt's record fails
 * it if its outcome is a retry, edge/dispatch/record.ts; should its consumer die first, the
 * cron sweep fails it once the claim expires, edge/dispatch/sweep.ts). A claim whose lease ran
 * out is a dead consumer's: it is cleared, so a late record of it records nothing. Returns the
 * logged events, which the caller publishes once its transaction has committed
 * (`publishExited`).
 *
 * A cancellation is two statements in a transaction: the runs are locked first, so that a
 * record committing an attempt's outcome on one of them (it holds the run's row) commits
 * before the second statement takes its snapshot, which then sees the delivery row that record
 * inserted (a statement that waits for a row lock re-reads that row, but not the other
 * tables).
 */
export async function exitActiveRuns(
  db: Database,
  workspaceId: string,
  which: SQL,
  reason: ApiExitReason,
): Promise<EventRow[]> {
  const active = sql`workspace_id = ${workspaceId} and status = 'active' and ${which}`;
  // Only a cancelled run keeps its deliveries (deleting a contact or a workflow deletes them).
  const failsRetries = reason === API_EXIT_REASONS.cancelled;
  const end = async (t: Database) =>
    (
      await queryRows<{ event: EventRow }>(
        t,
        sql`with ended as (
          update runs set status = 'exited', exit_reason = ${reason},
                 ended_at = now(), updated_at = now(),
                 lease_until = case when lease_until >= now() then lease_until end
          where ${active}
          returning *
        ),
        numbered as (
          select r.*, row_number() over (order by r.id) as n from ended r
        ),
        given_up as (
          ${failQueuedDeliveries('ended', sql`${failsRetries}::boolean and r.lease_until is null`)}
        ),
        exited as (
          select f.workspace_id, 2 * r.n as seq, 'delivery.failed' as type,
                 ${deliveryEventData('f', 'r')}::jsonb as data,
                 r.workflow_id, f.run_id, r.contact_id, f.channel_id, f.id as delivery_id
          from given_up f join numbered r on r.id = f.run_id
          union all
          select r.workspace_id, 2 * r.n + 1, 'run.exited',
                 ${runEventData('r', 'null::uuid')}::jsonb,
                 r.workflow_id, r.id, r.contact_id, null::uuid, null::uuid
          from numbered r
        ),
        ${appendEventsCte('exited', 'logged')}
        select ${eventRowJson('logged')} as event from logged order by logged.cursor`,
      )
    ).map((row) => row.event);
  // Deleting a contact or a workflow fails no delivery: its one statement locks what it ends.
  if (!failsRetries) return end(db);
  return db.transaction(async function exitActiveRuns(tx) {
    const t = tx as unknown as Database;
    await t.execute(sql`select id from runs where ${active} order by id for update`);
    return end(t);
  });
}

/** Publishes the events `exitActiveRuns` logged (after commit; the hub repairs a lost one). */
export async function publishExited(ctx: ApiContext, events: readonly EventRow[]): Promise<void> {
  if (events.length > 0) await publishQuietly(ctx.events, events.map(loggedEventFromRow));
}

/**
 * Deletes what `remove` deletes (a contact, a workflow: their runs go with them) after ending
 * its active runs with `reason` in the same transaction (exitActiveRuns), and publishes their
 * `run.exited` once it committed. Returns what `remove` returned (undefined: nothing deleted).
 *
 * `lock`, when given, runs first: the lock that starting runs for the row also takes (for a
 * workflow, `workflowRunsLockKey`; for a contact, its workspace's `contactRunsLockKey`), so that runs being started when the delete begins are
 * committed first and ended with the rest. Without it, runs a start committed between the two
 * statements went with the row without their `run.exited`.
 */
export async function deleteEndingRuns<T>(
  ctx: ApiContext,
  which: SQL,
  reason: ApiExitReason,
  remove: (db: Database) => Promise<T | undefined>,
  lock?: (db: Database) => Promise<unknown>,
): Promise<T | undefined> {
  const { removed, exited } = await ctx.db.transaction(async function deleteEndingRuns(tx) {
    const db = tx as unknown as Database;
    if (lock) await lock(db);
    const exited = await exitActiveRuns(db, ctx.workspaceId, which, reason);
    // The runs a claim still holds though they are no longer active (cancelled while their
    // send was in flight) are locked before the contact or workflow row: that send's record
    // locks its run and then, for an email joining its thread, takes a key-share lock on the
    // contact and the workflow (email_threads' foreign keys). The delete's cascade would reach
    // such a run only after locking the row, and the two would deadlock (a failed record fails
    // its whole batch, whose other sends then go out again). The active ones are locked by now.
    await db.execute(
      sql`select id from runs
          where workspace_id = ${ctx.workspaceId} and ${which} and lease_until is not null
          order by id for update`,
    );
    return { removed: await remove(db), exited };
  });
  if (removed !== undefined) await publishExited(ctx, exited);
  return removed;
}
