import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryRows } from '../../db/rows';
import { SEGMENT_IDLE_SECONDS } from './limits';
import type { SegmentChunkSender } from './message';

/**
 * Sends the next chunk of running segment starts that no chunk has moved for
 * SEGMENT_IDLE_SECONDS (its message was lost with a crashed invocation). A message that was
 * only slow meets the cursor check and does nothing. Reached through the partial index
 * `segment_starts_running_idx`. Returns how many were sent.
 */
export async function sweepSegmentStarts(
  db: Database,
  segments: SegmentChunkSender,
): Promise<number> {
  const idle = await queryRows<{ id: string; cursor: string | null }>(
    db,
    // Bumping updated_at makes the next sweep wait as long again before another resend.
    sql`update segment_starts set updated_at = now()
        where id in (
          select id from segment_starts
          where status = 'running'
            and updated_at < now() - ${SEGMENT_IDLE_SECONDS} * interval '1 second'
          order by updated_at limit 100
          for update skip locked)
        returning id, cursor`,
  );
  for (const start of idle) {
    await segments.send({ segmentStartId: start.id, after: start.cursor });
  }
  return idle.length;
}
