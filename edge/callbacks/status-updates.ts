import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { appendEventsCte, deliveryEventData, type EventRow } from '../../db/event-log';
import { jsonParam, queryRows } from '../../db/rows';
import { STATUS_RANK, type StatusEvent, type WatermarkEvent } from '../channels/events';
import { RUN_CANCELLED_REASON } from '../dispatch/cancelled';
import { publishQuietly } from '../events/publish';
import { type EventPublisher, loggedEventFromRow } from '../events/types';

/** What applying a batch of status events found. */
export interface StatusUpdates {
  /** Events whose delivery was found (applied, or already applied before: one effect). */
  matched: Set<string>;
  /** Runs waiting on "confirm delivery" that a final status woke: enqueue them now. */
  woken: { runId: string; visit: number }[];
}

interface Row {
  kind: 'matched' | 'woken' | 'event';
  event: EventRow | null;
  event_key: string | null;
  run_id: string | null;
  visit: number | null;
}

const RANK_SQL = sql.raw(
  `case d.provider_status ${Object.entries(STATUS_RANK)
    .map(([status, rank]) => `when '${status}' then ${rank}`)
    .join(' ')} else 0 end`,
);

/**
 * A delivery (`d`) whose acceptance a status proves, though dispatch never recorded it sent:
 * waiting for its retry after a send whose outcome was unknown (a timeout), or failed
 * (`run_cancelled`) because its run was cancelled while it waited. Such a status names our
 * delivery id (status-updates' `matched`: a waiting one is found only so, a cancelled one has
 * no provider message id).
 */
const PROVED_SQL = sql.raw(
  `(d.status = 'queued' or (d.status = 'failed' and d.reason_code = '${RUN_CANCELLED_REASON}'))`,
);

/**
 * A delivery (`d`) that failed with no acceptance recorded (`sent_at` is set only by a send
 * recorded accepted, or by a status proving one): dispatch failed it after a send whose outcome
 * was unknown (a timeout, its retries ran out or were refused), or its run was cancelled while it
 * waited for its retry. That attempt may have gone out naming our delivery id, so its statuses
 * find the delivery (and are acknowledged), but they change it only to prove a cancelled run's
 * delivery sent (PROVED_SQL, not by a `failed` status): it has had its one `delivery.failed`,
 * and its run was routed on that failure, so a later `failed` logging a second one with another
 * reason, or a `delivered` / `read` on a failed delivery, would contradict what was reported.
 */
const FAILED_UNACCEPTED_SQL = sql.raw(`(d.status = 'failed' and d.sent_at is null)`);

/**
 * Applies provider status events to their deliveries in ONE statement, which also appends the
 * partner events `delivery.delivered` / `delivery.read` / `delivery.failed` for each status
 * applied (a batch holding both delivered and read applies, and reports, read), preceded by
 * `delivery.sent` for a delivery a status settled as sent while it waited for its retry; they
 * are published (`events`) after it. Every channel's callbacks come through here. An event finds its delivery on its own
 * channel by our delivery id when the provider echoed it, else by the provider's message id,
 * and only once the delivery is recorded as accepted (`sent`, or `failed` after acceptance) —
 * or, by our delivery id only, while it waits for a retry after a send whose outcome was
 * unknown (a timeout): then the status proves Meta accepted it, the delivery is recorded as
 * sent (its run flagged so, `delivery_finished`), and the retry finds it finished and routes
 * the run without sending again; while the retry is in flight (its run claimed), the status
 * waits, unmatched, for that attempt's record.
 * A watermark (Messenger: "all messages sent before this time were delivered/read") applies to
 * every accepted delivery to that identity on its channel recorded as sent by then, to that
 * address (`recipient`: not one sent to the contact's previous address); as our
 * `sent_at` is taken after Meta's own timestamp, a message sent just before a watermark may be
 * left to the next one (or to its per-message status), never marked too early.
 * Per delivery, the batch's highest status is applied only over a lower one (STATUS_RANK), so a
 * repeated or late notification changes nothing; `read` implies delivered; a batch holding both
 * `delivered` and `failed` applies `delivered`, as two batches in that order would. A `failed`
 * status over an accepted message fails the delivery with the provider's reason. A run waiting
 * at that delivery's step for confirmation is made due now, to be routed by dispatch.
 */
export async function applyStatusUpdates(
  db: Database,
  events: readonly (StatusEvent | WatermarkEvent)[],
  publisher?: EventPublisher,
): Promise<StatusUpdates> {
  if (events.length === 0) return { matched: new Set(), woken: [] };
  const rows = events.map((event) => ({
    event_key: event.eventKey,
    channel_id: event.channelId,
    provider_message_id: event.kind === 'status' ? event.providerMessageId : null,
    delivery_id: event.kind === 'status' ? event.deliveryId : null,
    recipient: event.kind === 'watermark' ? event.recipient : null,
    status: event.status,
    rank: STATUS_RANK[event.status],
    at: event.at,
    reason_code: (event.kind === 'status' && event.failure?.reason) || null,
    reason_detail: (event.kind === 'status' && event.failure?.detail) || null,
  }));
  const result = await queryRows<Row>(
    db,
    sql`with given as (
        select * from json_to_recordset(${jsonParam(rows)}::json) as e(
          event_key text, channel_id uuid, provider_message_id text, delivery_id uuid,
          recipient text, status text, rank int, at timestamptz, reason_code text,
          reason_detail text)
      ),
      matched as (
        select g.*, d.id as found_id from given g
        join lateral (
          select d.id from deliveries d
          where g.recipient is null and d.channel_id = g.channel_id
            and (d.status in ('sent', 'failed')
              -- A send whose outcome we never learnt (a timeout) waits for its retry: Meta's
              -- news of it, naming our delivery id, proves it went out, so it is not sent again.
              or (d.status = 'queued' and d.attempts > 0 and d.id = g.delivery_id
                and g.status <> 'failed'))
            and (d.id = g.delivery_id or d.provider_message_id = g.provider_message_id)
          limit 1
        ) d on true
        union all
        select g.*, d.id as found_id from given g
        join contact_identities i on i.channel_id = g.channel_id and i.address = g.recipient
        join runs r on r.contact_id = i.contact_id
        join deliveries d on d.run_id = r.id and d.channel_id = g.channel_id
          and d.status = 'sent' and d.sent_at <= g.at
          -- What went to this address: the contact's address on the channel may have changed
          -- since a send (one identity per contact and channel, set through the API), and this
          -- watermark says nothing of a message to their previous one. A delivery recorded
          -- before deliveries kept their recipient is taken to have gone to the identity's.
          and (d.recipient = g.recipient or d.recipient is null)
      ),
      -- Between equal ranks a delivered beats a failed, whatever their times: a delivered
      -- message did not fail, as when the failure comes in a later batch (STATUS_RANK).
      best as (
        select distinct on (found_id) found_id, status, rank, at, reason_code, reason_detail,
          provider_message_id
        from matched order by found_id, rank desc, status = 'failed', at desc
      ),
      per_delivery as (
        select b.*,
          (select min(m.at) from matched m
            where m.found_id = b.found_id and m.status in ('delivered', 'read')) as delivered_at,
          (select min(m.at) from matched m
            where m.found_id = b.found_id and m.status = 'read') as read_at
        from best b
      ),
      -- A retried send the provider proved accepted (its delivery waits as queued) is settled
      -- only while no consumer holds its run's claim: an attempt in flight would race it (the
      -- status is then retried, after that attempt's record). The run is told on its own row,
      -- so that no claim sends the delivery again: a claim re-checks the run row it locks, not
      -- the delivery (edge/dispatch/claim.ts). A run already told is not settled again: its
      -- row is re-read once a concurrent batch that settled it commits (this statement saw the
      -- delivery still waiting), and that batch alone reports it sent; this one's status is
      -- then held and retried.
      settled as (
        update runs r
        set delivery_finished = true
        from per_delivery p
        join deliveries d on d.id = p.found_id and d.status = 'queued'
        where r.id = d.run_id and r.delivery_id = d.id and (r.status = 'active') is true
          and r.step_visit = d.visit and r.lease_until is null and not r.delivery_finished
        returning d.id
      ),
      held as (
        select d.id from per_delivery p
        join deliveries d on d.id = p.found_id and d.status = 'queued'
        join runs r on r.id = d.run_id and r.delivery_id = d.id and (r.status = 'active') is true
          and r.step_visit = d.visit
        where d.id not in (select id from settled)
      ),
      -- A delivery failed because its run was cancelled while it waited for its retry
      -- (run_cancelled, edge/dispatch/cancelled.ts) was never accepted as far as we knew: a
      -- status proves its timed-out attempt went out, so it is settled as sent, as a waiting
      -- one is (its run has ended: no run to tell).
      updated as (
        update deliveries d
        set provider_status = p.status,
            provider_status_at = p.at,
            -- The earlier: a read implies delivered by then, and Messenger's watermarks are
            -- bounds ("sent before this time"), so a read watermark applied after a later
            -- delivery watermark would otherwise leave a message delivered after it was read.
            delivered_at = least(d.delivered_at, p.delivered_at),
            read_at = coalesce(d.read_at, p.read_at),
            status = case when p.status = 'failed' then 'failed'
              when ${PROVED_SQL} then 'sent' else d.status end,
            provider_message_id = coalesce(d.provider_message_id, p.provider_message_id),
            sent_at = case when ${PROVED_SQL} then p.at else d.sent_at end,
            failed_at = case when p.status = 'failed' then p.at else d.failed_at end,
            reason_code = case when p.status = 'failed' then p.reason_code
              when ${PROVED_SQL} then null else d.reason_code end,
            reason_detail = case when p.status = 'failed' then p.reason_detail
              when ${PROVED_SQL} then null else d.reason_detail end,
            updated_at = now()
        from per_delivery p
        where d.id = p.found_id and p.rank > ${RANK_SQL} and d.id not in (select id from held)
          and (not ${FAILED_UNACCEPTED_SQL} or (${PROVED_SQL} and p.status <> 'failed'))
        returning d.*
      ),
      -- Deliveries this statement settled as sent (they waited for their retry, or failed as
      -- their run was cancelled meanwhile): dispatch never reported them sent. Reading the
      -- table here sees it as it was before the statement.
      was_queued as (
        select d.id from per_delivery p
        join deliveries d on d.id = p.found_id and p.status <> 'failed' and ${PROVED_SQL}
      ),
      status_events as (
        select u.workspace_id, row_number() over (order by u.id, x.n) as seq, x.type,
               case when x.n = 1
                 -- As dispatch reports an accepted send: before any provider status.
                 then jsonb_set(${deliveryEventData('u', 'r')}, '{delivery,providerStatus}',
                   'null'::jsonb)
                 else ${deliveryEventData('u', 'r')} end as data,
               r.workflow_id, u.run_id, r.contact_id, u.channel_id, u.id as delivery_id
        from updated u join runs r on r.id = u.run_id
        cross join lateral (values (1, 'delivery.sent'), (2, 'delivery.' || u.provider_status))
          as x(n, type)
        -- Otherwise 'sent' from the provider repeats what dispatch reported as delivery.sent.
        where (x.n = 1 and u.id in (select id from was_queued))
          or (x.n = 2 and u.provider_status in ('delivered', 'read', 'failed'))
      ),
      ${appendEventsCte('status_events', 'logged')},
      woken as (
        update runs r
        set due_at = now(), enqueued_at = null, updated_at = now()
        from updated u
        where r.id = u.run_id and r.status = 'active' and r.current_step_id = u.step_id
          and r.step_visit = u.visit and r.due_at > now()
          and u.provider_status in ('delivered', 'read', 'failed')
        returning r.id, r.step_visit
      )
      select 'matched' as kind, null::jsonb as event, event_key, null::uuid as run_id,
             null::int as visit from matched where found_id not in (select id from held)
      union all
      select 'woken', null, null, id, step_visit from woken
      union all
      select 'event', to_jsonb(e), null, null, null from logged e`,
  );
  await publishQuietly(
    publisher,
    result.flatMap((row) => (row.event ? [loggedEventFromRow(row.event)] : [])),
  );
  const updates: StatusUpdates = { matched: new Set(), woken: [] };
  for (const row of result) {
    if (row.kind === 'matched' && row.event_key) updates.matched.add(row.event_key);
    if (row.kind === 'woken' && row.run_id && row.visit !== null) {
      updates.woken.push({ runId: row.run_id, visit: row.visit });
    }
  }
  return updates;
}
