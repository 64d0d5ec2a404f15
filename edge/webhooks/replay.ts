import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryRows } from '../../db/rows';
import { REPLAY_LIMIT } from './limits';
import { enqueueWebhookMessages, type WebhookQueue } from './queue';

/**
 * Replays: a message starts a new retry schedule (attempts 0, due now) and is enqueued. Its id
 * stays the same, so the receiver sees the same `webhook-id` and can tell a replay from a new
 * event. A message being delivered right now (claimed, lease live) is left to that attempt.
 */

/** Replays one message of the workspace; false when there is no such message. */
export async function replayMessage(
  db: Database,
  queue: WebhookQueue | undefined,
  workspaceId: string,
  messageId: string,
  now = new Date(),
): Promise<boolean> {
  const at = now.toISOString();
  const [row] = await queryRows<{ id: string; replayed: boolean }>(
    db,
    sql`with target as (
          select id from webhook_messages
          where id = ${messageId} and workspace_id = ${workspaceId}::uuid
        ),
        replayed as (
          update webhook_messages m
          set status = 'pending', attempts = 0, next_attempt_at = ${at}::timestamptz,
              lease_until = null, enqueued_at = null
          from target t
          where m.id = t.id
            and not (m.status = 'delivering' and m.lease_until >= ${at}::timestamptz)
          returning m.id
        )
        select t.id, exists (select 1 from replayed) as replayed from target t`,
  );
  if (!row) return false;
  if (row.replayed) await enqueueWebhookMessages(db, queue, [{ id: row.id, delaySeconds: 0 }], now);
  return true;
}

/**
 * Replays an endpoint's messages created at or after `since` (the events' time), oldest first,
 * at most `limit`. `continueFrom` is the time to pass next when more remain, else null.
 */
export async function replayEndpoint(
  db: Database,
  queue: WebhookQueue | undefined,
  endpointId: string,
  since: Date,
  now = new Date(),
  limit = REPLAY_LIMIT,
): Promise<{ replayed: number; continueFrom: Date | null }> {
  const at = now.toISOString();
  // One row past the limit says whether more remain, and from when.
  const chosen = await queryRows<{ id: string; created_ms: string }>(
    db,
    sql`select id, (extract(epoch from created_at) * 1000)::bigint as created_ms
        from webhook_messages
        where endpoint_id = ${endpointId}::uuid
          and created_at >= ${since.toISOString()}::timestamptz
          and not (status = 'delivering' and lease_until >= ${at}::timestamptz)
        order by created_at, id
        limit ${limit + 1}`,
  );
  const batch = chosen.slice(0, limit);
  const next = chosen[limit];
  const replayed = batch.length
    ? await queryRows<{ id: string }>(
        db,
        sql`update webhook_messages
            set status = 'pending', attempts = 0, next_attempt_at = ${at}::timestamptz,
                lease_until = null, enqueued_at = null
            where id = any(${sql.param(batch.map((row) => row.id))}::text[])
              and not (status = 'delivering' and lease_until >= ${at}::timestamptz)
            returning id`,
      )
    : [];
  await enqueueWebhookMessages(
    db,
    queue,
    replayed.map((row) => ({ id: row.id, delaySeconds: 0 })),
    now,
  );
  return {
    replayed: replayed.length,
    continueFrom: next ? new Date(Number(next.created_ms)) : null,
  };
}
