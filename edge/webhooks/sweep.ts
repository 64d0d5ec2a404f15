import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryRows } from '../../db/rows';
import { log } from '../log';
import { fanOutAndEnqueue } from './fanout';
import { STALE_WEBHOOK_ENQUEUE_SECONDS, WEBHOOK_SWEEP_LIMIT } from './limits';
import { enqueueWebhookMessages, type WebhookQueue } from './queue';

/**
 * The webhook part of the cron sweep. The rows, not the queue, are the truth, so it restores
 * what a lost queue message (or a restart of a local, in-memory queue) would lose:
 * - workspaces whose log is ahead of their webhook cursor and that have an enabled endpoint
 *   (a fan-out request was lost) are fanned out;
 * - due pending messages whose queue message should have come by now are enqueued again;
 * - claims whose lease ran out (the consumer died) are enqueued again;
 * both only for enabled endpoints (the claim sends nothing to a disabled one).
 * A duplicate is harmless: the claim lets one consumer send a message once.
 */
export async function sweepWebhooks(
  db: Database,
  queue: WebhookQueue,
  now = new Date(),
): Promise<{ workspaces: number; messages: number }> {
  const behind = await queryRows<{ workspace_id: string }>(
    db,
    sql`select c.workspace_id from event_counters c
        left join webhook_cursors w on w.workspace_id = c.workspace_id
        where c.last_cursor > coalesce(w.last_cursor, 0)
          and exists (select 1 from webhook_endpoints ep
                      where ep.workspace_id = c.workspace_id and ep.enabled
                        and ep.start_cursor < c.last_cursor)
        limit ${WEBHOOK_SWEEP_LIMIT}`,
  );
  await fanOutAndEnqueue(
    db,
    queue,
    behind.map((row) => row.workspace_id),
    now,
  );
  const at = now.toISOString();
  const stale = await queryRows<{ id: string }>(
    db,
    // Only enabled endpoints' messages: the claim refuses the others, so re-enqueueing them
    // would only come back every few minutes, and a disabled endpoint's backlog (the oldest
    // due messages) would fill every sweep's limit, leaving lost messages of live endpoints
    // unrestored. Re-enabled, its messages are due again here.
    sql`select m.id from webhook_messages m
        join webhook_endpoints ep on ep.id = m.endpoint_id and ep.enabled
        where m.status in ('pending', 'delivering')
          and ((m.status = 'pending' and m.next_attempt_at <= ${at}::timestamptz
                and (m.enqueued_at is null
                  or m.enqueued_at < ${at}::timestamptz - ${STALE_WEBHOOK_ENQUEUE_SECONDS} * interval '1 second'))
            or (m.status = 'delivering' and m.lease_until < ${at}::timestamptz
                and (m.enqueued_at is null or m.enqueued_at < m.lease_until)))
        order by m.next_attempt_at
        limit ${WEBHOOK_SWEEP_LIMIT}`,
  );
  const enqueued = await enqueueWebhookMessages(
    db,
    queue,
    stale.map((row) => ({ id: row.id, delaySeconds: 0 })),
    now,
  );
  if (enqueued.error) log('error', 'webhooks sweep: enqueueing failed', { error: enqueued.error });
  return { workspaces: behind.length, messages: stale.length };
}
