import { and, eq, sql } from 'drizzle-orm';
import { runs } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';
import { NotFoundError } from '../errors';
import { API_EXIT_REASONS, exitActiveRuns, publishExited } from './exit';

/**
 * Stops an active run: it exits with reason `cancelled` and logs `run.exited` (exitActiveRuns),
 * and any message still queued for it is dropped by the consumer as stale. A delivery waiting
 * for its retry fails (`run_cancelled`, with its `delivery.failed`): it will never be sent. A
 * send already in flight finishes and is recorded, but the run does not move on (and an outcome
 * that would have been retried fails so too, edge/dispatch/record.ts). Cancelling a run that
 * already ended changes nothing and logs nothing.
 */
export async function cancelRun(ctx: ApiContext, id: string): Promise<{ id: string }> {
  if (!isUuid(id)) throw new NotFoundError('Run', String(id));
  const events = await exitActiveRuns(
    ctx.db,
    ctx.workspaceId,
    sql`id = ${id}`,
    API_EXIT_REASONS.cancelled,
  );
  if (events.length > 0) {
    await publishExited(ctx, events);
    return { id };
  }
  const inWorkspace = and(eq(runs.id, id), eq(runs.workspaceId, ctx.workspaceId));
  const [existing] = await ctx.db.select({ id: runs.id }).from(runs).where(inWorkspace);
  if (!existing) throw new NotFoundError('Run', id);
  return existing;
}
