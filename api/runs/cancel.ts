import { and, eq } from 'drizzle-orm';
import { runs } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';
import { NotFoundError } from '../errors';

/** The exit reason of a run stopped through the API. */
export const CANCELLED_REASON = 'cancelled';

/**
 * Stops an active run: it exits with reason `cancelled`, and any message still queued for it
 * is dropped by the consumer as stale. A send already in flight finishes, but the run does not
 * move on. Cancelling a run that already ended changes nothing.
 */
export async function cancelRun(ctx: ApiContext, id: string): Promise<{ id: string }> {
  if (!isUuid(id)) throw new NotFoundError('Run', String(id));
  const inWorkspace = and(eq(runs.id, id), eq(runs.workspaceId, ctx.workspaceId));
  const [cancelled] = await ctx.db
    .update(runs)
    .set({
      status: 'exited',
      exitReason: CANCELLED_REASON,
      endedAt: new Date(),
      updatedAt: new Date(),
    })
    .where(and(inWorkspace, eq(runs.status, 'active')))
    .returning({ id: runs.id });
  if (cancelled) return cancelled;
  const [existing] = await ctx.db.select({ id: runs.id }).from(runs).where(inWorkspace);
  if (!existing) throw new NotFoundError('Run', id);
  return existing;
}
