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

/**
 * Replays one message of the workspace: `not_found` when there is no such message, `disabled`
 * (nothing changed) when its endpoint is disabled, since nothing would be sent to it.
 */
export async function replayMessage(
  db: Database,
  queue: WebhookQueue | undefined,
  workspaceId: string,
  messageId: string,
  now = new Date(),
): Promise<'replayed' | 'disabled' | 'not_found'> {
  const at = now.toISOString();
  const [row] = await queryRows<{ id: string; enabled: boolean; replayed: boolean }>(
    db,
    sql`with target as (
          select m.id, ep.enabled from webhook_messages m
          join webhook_endpoints ep on ep.id = m.endpoint_id
          where m.id = ${messageId} and m.workspace_id = ${workspaceId}::uuid
        ),
        replayed as (
          update webhook_messages m
          set status = 'pending', attempts = 0, next_attempt_at = ${at}::timestamptz,
              lease_until = null, enqueued_at = null
          from target t
          where m.id = t.id and t.enabled
            and not (m.status = 'delivering' and m.lease_until >= ${at}::timestamptz)
          returning m.id
        )
        select t.id, t.enabled, exists (select 1 from replayed) as replayed from target t`,
  );
  if (!row) return 'not_found';
  if (!row.enabled) return 'disabled';
  if (row.replayed) await enqueueWebhookMessages(db, queue, [{ id: row.id, delaySeconds: 0 }], now);
  return 'replayed';
}

/** The instant `ms` (+ `plus`) milliseconds after the epoch, exactly (no float on the way). */
function msAt(ms: string, plus = 0) {
  return sql`(timestamptz 'epoch' + (${ms}::bigint + ${plus}) * interval '1 millisecond')`;
}

/**
 * Replays an endpoint's messages created at or after `since` (the events' time), oldest first,
 * at most `limit`. `continueFrom` is the time to pass next when more remain, else null.
 *
 * `continueFrom` is a DateTime, milliseconds, while `created_at` holds microseconds and many
 * messages share one instant (every event of one statement has its time). So a call never
 * splits a millisecond: it stops before the millisecond the limit falls in, and the next call
 * starts at it (rounding the next message's time could skip it; stopping inside a millisecond
 * would replay its first messages twice, or the same ones forever when more than `limit` share
 * it). When the first millisecond alone holds more than `limit` messages, that millisecond is
 * replayed whole.
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
  const replayable = sql`endpoint_id = ${endpointId}::uuid
    and not (status = 'delivering' and lease_until >= ${at}::timestamptz)`;
  // One row past the limit says whether more remain, and from which millisecond.
  const chosen = await queryRows<{ id: string; created_ms: string }>(
    db,
    sql`select id, floor(extract(epoch from created_at) * 1000)::bigint as created_ms
        from webhook_messages
        where ${replayable} and created_at >= ${since.toISOString()}::timestamptz
        order by created_at, event_cursor
        limit ${limit + 1}`,
  );
  let ids = chosen.map((row) => row.id);
  let continueFrom: string | null = null;
  if (chosen.length > limit) {
    const cut = chosen[limit]!.created_ms;
    const before = chosen.filter((row) => row.created_ms !== cut);
    if (before.length > 0) {
      ids = before.map((row) => row.id);
      continueFrom = cut;
    } else {
      // More than `limit` messages in one millisecond: `since` cannot resume inside it.
      const whole = await queryRows<{ id: string }>(
        db,
        sql`select id from webhook_messages
            where ${replayable}
              and created_at >= ${msAt(cut)}
              and created_at < ${msAt(cut, 1)}`,
      );
      const [next] = await queryRows<{ created_ms: string }>(
        db,
        sql`select floor(extract(epoch from created_at) * 1000)::bigint as created_ms
            from webhook_messages
            where ${replayable} and created_at >= ${msAt(cut, 1)}
            order by created_at limit 1`,
      );
      ids = whole.map((row) => row.id);
      continueFrom = next?.created_ms ?? null;
    }
  }
  const replayed = ids.length
    ? await queryRows<{ id: string }>(
        db,
        sql`update webhook_messages
            set status = 'pending', attempts = 0, next_attempt_at = ${at}::timestamptz,
                lease_until = null, enqueued_at = null
            where id = any(${sql.param(ids)}::text[])
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
    continueFrom: continueFrom === null ? null : new Date(Number(continueFrom)),
  };
}
