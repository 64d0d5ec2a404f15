import { and, eq, sql } from 'drizzle-orm';
import { appendEventsCte, type EventRow, eventRowJson, runEventData } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { runs } from '../../db/schema';
import { loggedEventFromRow, publishQuietly } from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';
import { NotFoundError } from '../errors';

/** The exit reason of a run stopped through the API. */
export const CANCELLED_REASON = 'cancelled';

/**
 * Stops an active run: it exits with reason `cancelled`, and any message still queued for it
 * is dropped by the consumer as stale. A send already in flight finishes, but the run does not
 * move on. Cancelling a run that already ended changes nothing.
 *
 * Leaving the workflow is a `run.exited` partner event, whoever ends the run: the same
 * statement that ends it appends the event (db/event-log.ts), so partners following a run see
 * it end, and a cancel that changes nothing logs nothing.
 */
export async function cancelRun(ctx: ApiContext, id: string): Promise<{ id: string }> {
  if (!isUuid(id)) throw new NotFoundError('Run', String(id));
  const [cancelled] = await queryRows<{ id: string; event: EventRow }>(
    ctx.db,
    sql`with ended as (
        update runs set status = 'exited', exit_reason = ${CANCELLED_REASON},
               ended_at = now(), updated_at = now()
        where id = ${id} and workspace_id = ${ctx.workspaceId} and status = 'active'
        returning *
      ),
      exited as (
        select r.workspace_id, 1 as seq, 'run.exited' as type,
               ${runEventData('r', 'null::uuid')} as data,
               r.workflow_id, r.id as run_id, r.contact_id, null::uuid as channel_id,
               null::uuid as delivery_id
        from ended r
      ),
      ${appendEventsCte('exited', 'logged')}
      select logged.run_id as id, ${eventRowJson('logged')} as event from logged`,
  );
  if (cancelled) {
    await publishQuietly(ctx.events, [loggedEventFromRow(cancelled.event)]);
    return { id: cancelled.id };
  }
  const inWorkspace = and(eq(runs.id, id), eq(runs.workspaceId, ctx.workspaceId));
  const [existing] = await ctx.db.select({ id: runs.id }).from(runs).where(inWorkspace);
  if (!existing) throw new NotFoundError('Run', id);
  return existing;
}
