import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { eventLogRows } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { FANOUT_EVENTS } from './limits';
import { type DueMessage, enqueueWebhookMessages, type WebhookQueue } from './queue';

/**
 * Turns a workspace's logged events into webhook messages: one per event and enabled endpoint
 * whose types and filters it matches, after the endpoint's `start_cursor`. `webhook_cursors`
 * holds how far the log has been fanned out; its row is locked for the transaction, so two
 * fan-outs of one workspace take turns, and `(endpoint_id, event_cursor)` is unique, so an event
 * never becomes two messages for one endpoint. Only committed events are read (the log's
 * counter, read in the same snapshot, says up to where they are all visible). The endpoints are
 * locked `for key share` until the commit: a deleteWebhookEndpoint under way is waited for (its
 * endpoint then gets nothing), and one that comes later waits and deletes the new messages with
 * the endpoint.
 */
export async function fanOutWorkspace(
  db: Database,
  workspaceId: string,
  now: Date,
  limit = FANOUT_EVENTS,
): Promise<{ messages: string[]; more: boolean }> {
  // Most workspaces have no endpoint: one cheap read, no transaction, no cursor write. An
  // endpoint created later starts at the log's end (`start_cursor`), so nothing is skipped.
  const [any] = await queryRows<{ found: boolean }>(
    db,
    sql`select exists (select 1 from webhook_endpoints
                       where workspace_id = ${workspaceId}::uuid and enabled) as found`,
  );
  if (!any?.found) return { messages: [], more: false };
  return db.transaction(async function fanOut(tx) {
    // The workspace's row first (`for key share`: the messages' foreign key takes it anyway): a
    // workspace being deleted holds its row while its cascade waits for the cursor's row and
    // the endpoints this transaction holds, so taking it last would deadlock with that delete.
    // Waited for, a deleted workspace is gone, and there is nothing to fan out.
    const [cursor] = await queryRows<{ last_cursor: string }>(
      tx as unknown as Database,
      sql`with ws as (select id from workspaces where id = ${workspaceId}::uuid for key share)
          insert into webhook_cursors as w (workspace_id, last_cursor) select id, 0 from ws
          on conflict (workspace_id) do update set last_cursor = w.last_cursor
          returning w.last_cursor`,
    );
    if (!cursor) return { messages: [], more: false };
    const after = Number(cursor.last_cursor);
    const [result] = await queryRows<{ ids: string[]; upto: string; total: string }>(
      tx as unknown as Database,
      sql`with eps as (
            -- Locked as their messages' foreign key will lock them: an endpoint being deleted
            -- is waited for and then left out, where reading it from the snapshot would make
            -- that key's check fail the fan-out, and with it the queue's whole batch.
            select * from webhook_endpoints where workspace_id = ${workspaceId}::uuid and enabled
            for key share
          ),
          total as (
            select coalesce((select last_cursor from event_counters
                             where workspace_id = ${workspaceId}::uuid), 0) as upto
          ),
          win as (
            -- Nothing before the oldest enabled endpoint's start matters to any of them.
            select greatest(${after}::bigint, coalesce((select min(start_cursor) from eps), t.upto)) as after,
                   t.upto as total
            from total t
          ),
          bounds as (select after, least(total, after + ${limit}) as upto, total from win),
          ins as (
            insert into webhook_messages (id, workspace_id, endpoint_id, event_cursor, event_type,
                                          next_attempt_at, created_at)
            select 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.workspace_id, ep.id,
                   e.cursor, e.type, ${now.toISOString()}::timestamptz, e.occurred_at
            from bounds b
            cross join lateral ${eventLogRows(sql`${workspaceId}::uuid`, sql`b.after`, sql`b.upto`)} e
            join eps ep on e.cursor > ep.start_cursor
              and (cardinality(ep.event_types) = 0 or e.type = any(ep.event_types))
              and (ep.workflow_id is null or ep.workflow_id = e.workflow_id)
              and (ep.channel_id is null or ep.channel_id = e.channel_id)
              and (ep.contact_id is null or ep.contact_id = e.contact_id)
            order by e.cursor, ep.id
            on conflict (endpoint_id, event_cursor) do nothing
            returning id, event_cursor
          )
          select coalesce((select array_agg(id order by event_cursor) from ins), '{}') as ids,
                 b.upto, b.total
          from bounds b`,
    );
    if (!result) return { messages: [], more: false };
    const upto = Number(result.upto);
    if (upto > after) {
      await (tx as unknown as Database).execute(
        sql`update webhook_cursors set last_cursor = greatest(last_cursor, ${upto}::bigint)
            where workspace_id = ${workspaceId}::uuid`,
      );
    }
    return { messages: result.ids, more: Number(result.total) > upto };
  });
}

/**
 * Fans out every new event of these workspaces (in chunks until caught up) and enqueues the
 * new messages for immediate delivery. Returns the messages created.
 */
export async function fanOutAndEnqueue(
  db: Database,
  queue: WebhookQueue | undefined,
  workspaceIds: Iterable<string>,
  now: Date,
): Promise<number> {
  let created = 0;
  for (const workspaceId of new Set(workspaceIds)) {
    for (;;) {
      const { messages, more } = await fanOutWorkspace(db, workspaceId, now);
      created += messages.length;
      const due: DueMessage[] = messages.map((id) => ({ id, delaySeconds: 0 }));
      await enqueueWebhookMessages(db, queue, due, now);
      if (!more) break;
    }
  }
  return created;
}
