import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { appendEventsCte, type EventRow, eventRowJson, runEventData } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { loggedEventFromRow, publishQuietly } from '../../edge/pipeline';
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
 * end, and runs that had ended already log nothing. Returns the logged events, which the
 * caller publishes once its transaction has committed (`publishExited`).
 */
export async function exitActiveRuns(
  db: Database,
  workspaceId: string,
  which: SQL,
  reason: ApiExitReason,
): Promise<EventRow[]> {
  const rows = await queryRows<{ event: EventRow }>(
    db,
    sql`with ended as (
        update runs set status = 'exited', exit_reason = ${reason},
               ended_at = now(), updated_at = now()
        where workspace_id = ${workspaceId} and status = 'active' and ${which}
        returning *
      ),
      exited as (
        select r.workspace_id, row_number() over (order by r.id) as seq, 'run.exited' as type,
               ${runEventData('r', 'null::uuid')} as data,
               r.workflow_id, r.id as run_id, r.contact_id, null::uuid as channel_id,
               null::uuid as delivery_id
        from ended r
      ),
      ${appendEventsCte('exited', 'logged')}
      select ${eventRowJson('logged')} as event from logged order by logged.cursor`,
  );
  return rows.map((row) => row.event);
}

/** Publishes the events `exitActiveRuns` logged (after commit; the hub repairs a lost one). */
export async function publishExited(ctx: ApiContext, events: readonly EventRow[]): Promise<void> {
  if (events.length > 0) await publishQuietly(ctx.events, events.map(loggedEventFromRow));
}

/**
 * Deletes what `remove` deletes (a contact, a workflow: their runs go with them) after ending
 * its active runs with `reason` in the same transaction (exitActiveRuns), and publishes their
 * `run.exited` once it committed. Returns what `remove` returned (undefined: nothing deleted).
 */
export async function deleteEndingRuns<T>(
  ctx: ApiContext,
  which: SQL,
  reason: ApiExitReason,
  remove: (db: Database) => Promise<T | undefined>,
): Promise<T | undefined> {
  const { removed, exited } = await ctx.db.transaction(async function deleteEndingRuns(tx) {
    const db = tx as unknown as Database;
    const exited = await exitActiveRuns(db, ctx.workspaceId, which, reason);
    return { removed: await remove(db), exited };
  });
  if (removed !== undefined) await publishExited(ctx, exited);
  return removed;
}
