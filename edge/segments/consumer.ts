import type { Message } from '@cloudflare/workers-types/latest';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryRows, unnestRows } from '../../db/rows';
import { log } from '../log';
import { type ChunkDeps, startChunk } from './chunk';
import { parseSegmentChunkMessage } from './message';

/** A chunk that failed (the database was unreachable) is tried again after this long. */
const CHUNK_RETRY_SECONDS = 10;

/**
 * The segments queue's consumer: each message starts one chunk (edge/segments/chunk.ts), one
 * after the other so that an invocation holds at most one chunk's rows. A failed chunk is
 * retried alone; its statement rolled back, so the retry starts from the same cursor.
 */
export async function consumeSegmentChunks(
  messages: readonly Message<unknown>[],
  deps: ChunkDeps,
): Promise<void> {
  for (const message of messages) {
    const chunk = parseSegmentChunkMessage(message.body);
    if (!chunk) {
      log('warn', 'segments: dropping a malformed chunk message', { id: message.id });
      message.ack();
      continue;
    }
    try {
      await startChunk(chunk, deps);
      message.ack();
    } catch (error) {
      log('error', 'segments: a chunk failed; the queue will retry it', {
        segmentStartId: chunk.segmentStartId,
        error,
      });
      message.retry({ delaySeconds: CHUNK_RETRY_SECONDS });
    }
  }
}

/**
 * The segments dead letter queue's consumer: a chunk that kept failing ends its segment start
 * as `failed` (runs already started keep going). A start that ended otherwise is left alone,
 * and so is one whose cursor has moved past the dead chunk: that was a copy of a chunk another
 * delivery (a redelivery, or the sweep's resend) did, and the start is going on without it.
 */
export async function failSegmentStarts(
  messages: readonly Message<unknown>[],
  db: Database,
): Promise<void> {
  const dead = messages.flatMap((message) => {
    const chunk = parseSegmentChunkMessage(message.body);
    return chunk ? [{ id: chunk.segmentStartId, after: chunk.after }] : [];
  });
  if (dead.length) {
    const failed = await queryRows<{ id: string }>(
      db,
      sql`update segment_starts s set status = 'failed', ended_at = now(), updated_at = now()
          where s.id = any(${sql.param([...new Set(dead.map((chunk) => chunk.id))])}::uuid[])
            and s.status = 'running'
            and exists (select 1 from ${unnestRows(dead, { id: 'uuid', after: 'uuid' }, 'd')}
                        where d.id = s.id and d.after is not distinct from s.cursor)
          returning s.id`,
    );
    for (const { id } of failed) log('error', 'segments: a chunk was dead-lettered', { id });
  }
  for (const message of messages) message.ack();
}
