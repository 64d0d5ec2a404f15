import { and, eq } from 'drizzle-orm';
import { segmentStarts } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';
import { NotFoundError } from '../errors';

/**
 * Cancels a running segment start of the caller's workspace: no further chunk starts runs
 * (a chunk's statement proceeds only while the start is `running`, and takes the same row
 * lock, so a chunk in flight either committed before the cancel or starts nothing). Runs
 * already started keep going; `cancelRun` stops one. An ended start is returned unchanged.
 */
export async function cancelSegmentStart(ctx: ApiContext, id: string) {
  if (!isUuid(id)) throw new NotFoundError('SegmentStart', id);
  const mine = and(eq(segmentStarts.id, id), eq(segmentStarts.workspaceId, ctx.workspaceId));
  const [cancelled] = await ctx.db
    .update(segmentStarts)
    .set({ status: 'cancelled', endedAt: new Date(), updatedAt: new Date() })
    .where(and(mine, eq(segmentStarts.status, 'running')))
    .returning();
  if (cancelled) return cancelled;
  const [existing] = await ctx.db.select().from(segmentStarts).where(mine);
  if (!existing) throw new NotFoundError('SegmentStart', id);
  return existing;
}
