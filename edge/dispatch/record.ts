import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { appendWorkspaceBatchesCte, EVENTS_PER_BATCH } from '../../db/event-log';
import { queryPreparedRows, unnestRows } from '../../db/rows';
import { publishQuietly } from '../events/publish';
import type { EventPublisher } from '../events/types';
import { RUN_CANCELLED_DETAIL_PREFIX, RUN_CANCELLED_REASON } from './cancelled';
import { queueDelay } from './enqueue';
import { channelSendingState } from './library';
import { loggedEvents, planRecordEvents } from './record-events';
import type { DeliveryOutcome, RunMove } from './record-input';

/** The columns of the record's outcomes, as `given` reads them (unnestRows). */
const OUTCOME_COLUMNS = {
  seq: 'int',
  delivery_id: 'uuid',
  attempts: 'int',
  claimed_at_ms: 'float8',
  status: 'text',
  sent_channel_id: 'uuid',
  recipient: 'text',
  reason_code: 'text',
  reason_detail: 'text',
  provider_message_id: 'text',
  content_summary: 'text',
  message_id_header: 'text',
  segments: 'int',
  thread_workspace_id: 'uuid',
  thread_workflow_id: 'uuid',
  thread_contact_id: 'uuid',
  provider_thread_id: 'text',
  provider_thread_subject: 'text',
  channel_error: 'boolean',
  channel_state: 'text',
} as const;

/** The columns of the record's moves, as `move` reads them. */
const MOVE_COLUMNS = {
  seq: 'int',
  run_id: 'uuid',
  from_visit: 'int',
  from_step_id: 'uuid',
  after_delivery_id: 'uuid',
  claim_attempts: 'int',
  after_status: 'text',
  after_channel_id: 'uuid',
  status: 'text',
  step_id: 'uuid',
  visit: 'int',
  due_in_seconds: 'float8',
  exit_reason: 'text',
  already_enqueued: 'boolean',
  enqueue_delay: 'int',
} as const;

/** A run that moved, and the message it now needs (when still active). */
export interface MovedRun {
  runId: string;
  status: 'active' | 'completed' | 'exited';
  visit: number;
  dueInSeconds: number;
  alreadyEnqueued: boolean;
}

/** How `recordAndMove` treats the runs it moves. */
export interface RecordOptions {
  /**
   * The caller enqueues a message for every run this statement leaves active (and not already
   * enqueued), right after it: stamp their `enqueued_at` here (now + the message's delay), so
   * no second statement has to touch the same rows. If enqueueing then fails, the caller clears
   * the stamp again (`unstampRuns`); had it died in between, the sweep re-enqueues the runs
   * once the stamp is stale.
   */
  stampEnqueued?: boolean;
}

interface MovedRow {
  kind: 'moved' | 'events';
  run_id: string;
  status: MovedRun['status'];
  visit: number;
  due_in_seconds: number;
  already_enqueued: boolean;
  /** For `events`: one row per workspace the statement logged events of. */
  workspace_id: string | null;
  seqs: number[] | null;
  first_cursor: number | string | null;
  occurred_at: string | null;
}

/**
 * Records a batch's send outcomes, extends the email threads of the emails sent, puts channels
 * whose credentials the provider refused into error, and moves the runs, all in ONE statement,
 * so that a delivery is never recorded without its run moving (and the reverse). A move that
 * follows a send applies only while the claim is still ours (the run holds a lease on that
 * delivery with the same attempt count, edge/dispatch/claim.ts), and its outcome is recorded
 * only with that move: the delivery row is inserted by its first attempt's outcome and updated
 * by a retry's. Runs are moved only from the visit they were at, so a duplicate consumer cannot
 * move one twice. The same statement appends the partner events (db/event-log.ts):
 * `delivery.queued` for each delivery it creates, `delivery.sent` / `delivery.failed` for each
 * outcome recorded, `run.routed` / `run.completed` / `run.exited` for each run that left its
 * visit; they are published after it (`events`). Returns the runs that moved.
 */
export async function recordAndMove(
  db: Database,
  outcomes: readonly DeliveryOutcome[],
  moves: readonly RunMove[],
  events?: EventPublisher,
  { stampEnqueued = false }: RecordOptions = {},
): Promise<MovedRun[]> {
  if (outcomes.length === 0 && moves.length === 0) return [];
  // Each outcome logs at most two events and each move one, all into one log row per
  // workspace (appendWorkspaceBatchesCte), which holds at most EVENTS_PER_BATCH: 333 sends,
  // where a queue's batch is at most 100.
  if (2 * outcomes.length + moves.length > EVENTS_PER_BATCH) {
    throw new RangeError(
      `recordAndMove records at most ${EVENTS_PER_BATCH} events in one statement: got ${outcomes.length} outcomes and ${moves.length} moves; record them in smaller batches`,
    );
  }
  const planned = planRecordEvents(outcomes, moves);
  const outcomeRows = outcomes.map((outcome, seq) => ({
    // Orders a batch's emails in their thread.
    seq,
    delivery_id: outcome.deliveryId,
    attempts: outcome.attempts,
    claimed_at_ms: outcome.claimedAtMs,
    status: outcome.status,
    sent_channel_id: outcome.channelId,
    recipient: outcome.recipient,
    reason_code: outcome.reasonCode,
    reason_detail: outcome.reasonDetail,
    provider_message_id: outcome.providerMessageId,
    content_summary: outcome.contentSummary,
    message_id_header: outcome.messageIdHeader,
    segments: outcome.segments,
    thread_workspace_id: outcome.thread?.workspaceId ?? null,
    thread_workflow_id: outcome.thread?.workflowId ?? null,
    thread_contact_id: outcome.thread?.contactId ?? null,
    provider_thread_id: outcome.thread?.providerThread?.id ?? null,
    provider_thread_subject: outcome.thread?.providerThread?.subject ?? null,
    channel_error: outcome.channelError ?? false,
    channel_state: outcome.channelState ?? null,
  }));
  // A move that follows a send carries that send's claim token and outcome, so that the run's
  // update need not join the outcomes to check the one and flag the other.
  const outcomeOf = new Map(outcomes.map((outcome) => [outcome.deliveryId, outcome]));
  const moveRows = moves.map((move, seq) => ({
    // Orders the moves' events after the outcomes' (record-events.ts, planRecordEvents).
    seq,
    run_id: move.runId,
    from_visit: move.fromVisit,
    from_step_id: move.fromStepId,
    after_delivery_id: move.afterDeliveryId,
    claim_attempts: move.afterDeliveryId
      ? (outcomeOf.get(move.afterDeliveryId)?.attempts ?? null)
      : null,
    after_status: move.afterDeliveryId
      ? (outcomeOf.get(move.afterDeliveryId)?.status ?? null)
      : null,
    after_channel_id: move.afterDeliveryId
      ? (outcomeOf.get(move.afterDeliveryId)?.channelId ?? null)
      : null,
    status: move.status,
    step_id: move.stepId,
    visit: move.visit,
    due_in_seconds: move.dueInSeconds,
    exit_reason: move.exitReason,
    already_enqueued: move.alreadyEnqueued,
    // Seconds until the message enqueued after this statement becomes visible, as sent.
    enqueue_delay: stampEnqueued && move.status === 'active' ? queueDelay(move.dueInSeconds) : null,
  }));
  // Only the parts a batch needs: an UPDATE on channels fires its statement-level revision
  // trigger even when it changes no row (~15-27 ms in a fresh session, plpgsql compiling it),
  // and a batch of texts has no email thread to extend.
  const extendsThreads = outcomes.some((outcome) => outcome.status === 'sent' && outcome.thread);
  const refusesChannels = outcomes.some(
    (outcome) =>
      outcome.status === 'failed' &&
      (outcome.reasonCode === 'credentials_rejected' || outcome.channelError === true),
  );
  const threadedCte = sql`      threaded as (
        insert into email_threads as t (workspace_id, workflow_id, contact_id, channel_id,
                                        message_ids, provider_thread_id, provider_thread_subject)
        select o.thread_workspace_id, o.thread_workflow_id, o.thread_contact_id, o.channel_id,
               array_agg(o.message_id_header order by o.seq),
               -- The batch's latest provider thread: the one the provider named last.
               (array_agg(o.provider_thread_id order by o.seq desc)
                  filter (where o.provider_thread_id is not null))[1],
               (array_agg(o.provider_thread_subject order by o.seq desc)
                  filter (where o.provider_thread_id is not null))[1]
        from outcome o
        where o.status = 'sent' and o.thread_workflow_id is not null
          and o.channel_id is not null
          and o.message_id_header is not null and o.delivery_id in (select id from recorded)
        group by o.thread_workspace_id, o.thread_workflow_id, o.thread_contact_id, o.channel_id
        on conflict (workflow_id, contact_id, channel_id) do update
        set message_ids = t.message_ids || array(
              select m from unnest(excluded.message_ids) as m where not m = any(t.message_ids)),
            provider_thread_id = coalesce(excluded.provider_thread_id, t.provider_thread_id),
            provider_thread_subject = case when excluded.provider_thread_id is null
              then t.provider_thread_subject else excluded.provider_thread_subject end,
            updated_at = now()
        returning t.id
      ),`;
  const refusedCte = sql`      -- A provider that refused the channel's credentials (or an adapter that reports the channel
      -- itself broken, e.g. a revoked Gmail grant) will refuse every send: the channel
      -- goes into error with the provider's words, so that people see what to fix (saving new
      -- credentials or verifyChannel checks it again), and later sends stop at once.
      -- (An endpoint that answered 410 Gone is such a channel: Standard Webhooks asks senders
      -- to stop.) Only while the channel still has what the attempt was made with
      -- (library.ts, channelSendingState): credentials or settings replaced while it was in
      -- flight are not what the provider refused, and one switched off meanwhile stays off, as
      -- updateChannel's own verdicts leave it (keepSwitchedOff). The update re-reads the row
      -- once an updateChannel holding it commits, so its test sees what that committed.
      refused as (
        update channels c
        set status = 'error',
            status_detail = case when e.reason_code = 'credentials_rejected'
              then 'Sending failed, the provider refused the credentials: '
              else 'Sending failed, the channel cannot send: ' end || e.reason_detail,
            updated_at = now()
        from (
          select distinct on (o.channel_id) o.channel_id, o.reason_code, o.reason_detail,
                 o.channel_state
          from outcome o
          where o.status = 'failed'
            and (o.reason_code = 'credentials_rejected' or o.channel_error)
            and o.channel_id is not null and o.delivery_id in (select id from recorded)
          order by o.channel_id, o.seq desc
        ) e
        where c.id = e.channel_id and c.status <> 'disconnected'
          and ${channelSendingState('c')} = e.channel_state
        returning c.id
      ),`;
  const rows = await queryPreparedRows<MovedRow>(
    db,
    sql`with given as (
        select * from ${unnestRows(outcomeRows, OUTCOME_COLUMNS, 'o')}
      ),
      -- A channel deleted while a send on it was in flight is recorded as none, as deleting it
      -- would have set it (a foreign key error would fail the whole batch); the key-share lock
      -- keeps a channel that is still there until this statement ends. Each channel is locked
      -- once, not once per send on it (a batch mostly sends on one or two channels).
      live_channels as (
        select id from channels
        where id = any(array(select distinct sent_channel_id from given
                             where sent_channel_id is not null))
        for key share
      ),
      outcome as (
        select g.*, c.id as channel_id from given g
        left join live_channels c on c.id = g.sent_channel_id
      ),
      -- Materialized: read once, not once per run row the update's join visits.
      move as materialized (
        select * from ${unnestRows(moveRows, MOVE_COLUMNS, 'm')}
      ),
      -- A move that follows a send applies only while this consumer still holds that claim: the
      -- run holds a lease on that delivery with the attempt count it was claimed at. The
      -- outcome is then recorded from the runs moved, so neither happens without the other.
      moved as (
        update runs r
        set status = m.status,
            current_step_id = m.step_id,
            step_visit = m.visit,
            due_at = now() + m.due_in_seconds * interval '1 second',
            enqueued_at = case when m.already_enqueued
              then now() + m.due_in_seconds * interval '1 second'
              else now() + m.enqueue_delay * interval '1 second' end,
            exit_reason = m.exit_reason,
            ended_at = case when m.status = 'active' then null else now() end,
            lease_until = null,
            -- A new visit owes a new delivery; staying (a retry, a confirm-delivery wait) keeps
            -- it, finished when the attempt sent it (or failed it for good).
            delivery_id = case when m.visit = r.step_visit then r.delivery_id end,
            -- Where the attempt went, for its retry (runs.delivery_channel_id says why).
            delivery_channel_id = case when m.visit = r.step_visit
              then coalesce(m.after_channel_id, r.delivery_channel_id) end,
            delivery_attempts = case when m.visit = r.step_visit then r.delivery_attempts else 0 end,
            delivery_finished = m.visit = r.step_visit
              and (r.delivery_finished or coalesce(m.after_status in ('sent', 'failed'), false)),
            updated_at = now()
        from move m
        -- Each run by its key from the move (a nested loop from the batch, which a generic plan
        -- estimates at 10 rows: db/rows.ts, unnestRows); its status tested so that no index
        -- can answer it (uuidArrayParam says why).
        where r.id = m.run_id and (r.status = 'active') is true and r.step_visit = m.from_visit
          and (m.after_delivery_id is null
            or (r.delivery_id = m.after_delivery_id and r.delivery_attempts = m.claim_attempts
                and r.lease_until is not null))
        returning r.id, r.workspace_id, r.workflow_id, r.contact_id, r.status, r.step_visit,
                  m.due_in_seconds, m.already_enqueued, m.from_visit, m.from_step_id,
                  m.after_delivery_id, m.seq as move_seq, m.step_id, m.exit_reason
      ),
      -- A claim still held on a run that was not there to move (cancelled while its send was
      -- in flight): the send happened, so its outcome is recorded all the same and the claim
      -- released; only the move is dropped, as the cancellation decided. Usually no run.
      released as (
        update runs r
        set lease_until = null, updated_at = now()
        from move m
        where r.id = any(array(select run_id from move where after_delivery_id is not null
                               except select id from moved))
          and r.id = m.run_id and r.delivery_id = m.after_delivery_id
          and r.delivery_attempts = m.claim_attempts and r.lease_until is not null
        returning r.id, r.workspace_id, r.workflow_id, r.contact_id, m.after_delivery_id,
                  m.from_visit, m.from_step_id
      ),
      -- Each outcome whose claim this statement still held, with what its row needs. A retry
      -- whose run ended while its attempt was in flight (cancelled) will never come: that
      -- outcome is a failure, run_cancelled (edge/dispatch/cancelled.ts), as planRecordEvents
      -- also plans it.
      sends as materialized (
        select o.seq, o.delivery_id, o.attempts, o.claimed_at_ms, o.sent_channel_id,
               o.channel_id, o.recipient, o.provider_message_id, o.content_summary,
               o.message_id_header, o.segments,
               case when r.released and o.status = 'queued' then 'failed' else o.status end
                 as status,
               case when r.released and o.status = 'queued' then ${RUN_CANCELLED_REASON}::text
                 else o.reason_code end as reason_code,
               case when r.released and o.status = 'queued'
                 then ${RUN_CANCELLED_DETAIL_PREFIX}::text || coalesce(o.reason_detail, o.reason_code, '')
                 else o.reason_detail end as reason_detail,
               r.id as run_id, r.workspace_id, r.workflow_id, r.contact_id, r.from_step_id,
               r.from_visit
        from (select id, workspace_id, workflow_id, contact_id, after_delivery_id, from_visit,
                     from_step_id, false as released from moved
              union all select *, true from released) r
        join outcome o on o.delivery_id = r.after_delivery_id
      ),
      -- The delivery row, written once per attempt's outcome: inserted by its first attempt,
      -- updated by a retry's. A finished row is never overwritten (a status callback finishes
      -- a retry-waiting row only while no claim holds its run, edge/callbacks/status-updates.ts).
      -- Its recipient is set once: a retry was sent to it (load.ts), and a retry refused before
      -- sending has none to give.
      recorded as (
        insert into deliveries as d (id, workspace_id, run_id, step_id, visit, status, attempts,
                                     channel_id, recipient, reason_code, reason_detail,
                                     provider_message_id, content_summary, message_id_header,
                                     segments, sent_at, created_at)
        select delivery_id, workspace_id, run_id, from_step_id, from_visit, status, attempts,
               channel_id, recipient, reason_code, reason_detail, provider_message_id,
               content_summary, message_id_header, segments,
               case when status = 'sent' then now() end,
               coalesce(to_timestamp(claimed_at_ms / 1000), now())
        from sends
        on conflict (run_id, step_id, visit) do update
        set status = excluded.status,
            attempts = excluded.attempts,
            channel_id = coalesce(excluded.channel_id, d.channel_id),
            recipient = coalesce(d.recipient, excluded.recipient),
            reason_code = excluded.reason_code,
            reason_detail = excluded.reason_detail,
            provider_message_id = coalesce(excluded.provider_message_id, d.provider_message_id),
            content_summary = coalesce(excluded.content_summary, d.content_summary),
            message_id_header = coalesce(excluded.message_id_header, d.message_id_header),
            segments = coalesce(excluded.segments, d.segments),
            sent_at = coalesce(excluded.sent_at, d.sent_at),
            updated_at = now()
        where d.status in ('queued', 'sending')
        -- Only what its readers use (the events, threads and refused channels): each row returned
        -- is kept in the CTE's store.
        returning d.id, d.xmax = 0 as inserted
      ),
${extendsThreads ? threadedCte : sql``}
${refusesChannels ? refusedCte : sql``}
      -- The partner events of the changes this statement made, built from its own rows as
      -- record-events.ts (planRecordEvents) plans them for publishing, in the same order (seq):
      -- a delivery.queued for each delivery row it created, a delivery.sent / delivery.failed
      -- for each outcome it recorded, a run.* for each run that left its visit. They are
      -- compact (db/event-log.ts, COMPACT_EVENT_FIELDS): their fields in columns, no JSON,
      -- which readers build with the same data as published; one log row per workspace.
      event_source as (
        select 2 * s.seq as seq, s.workspace_id, 'delivery.queued' as type, null::jsonb as data,
               s.workflow_id, s.run_id, s.contact_id, null::uuid as channel_id, s.delivery_id,
               s.from_step_id as step_id, s.from_visit as visit, 'queued' as status,
               null::text as provider_message_id, null::text as reason_code,
               null::text as reason_detail, null::uuid as from_step_id, null::text as exit_reason
        from sends s
        where s.delivery_id in (select id from recorded where inserted)
        union all
        select 2 * s.seq + 1, s.workspace_id, 'delivery.' || s.status, null, s.workflow_id,
               s.run_id, s.contact_id, s.sent_channel_id, s.delivery_id, s.from_step_id,
               s.from_visit, s.status, s.provider_message_id, s.reason_code, s.reason_detail,
               null, null
        from sends s
        where s.status in ('sent', 'failed') and s.delivery_id in (select id from recorded)
        union all
        select 2 * ${outcomes.length}::int + m.move_seq, m.workspace_id,
               case m.status when 'completed' then 'run.completed'
                 when 'exited' then 'run.exited' else 'run.routed' end,
               null, m.workflow_id, m.id, m.contact_id, null, null, m.step_id, m.step_visit,
               m.status, null, null, null, m.from_step_id, m.exit_reason
        from moved m
        where not (m.status = 'active' and m.step_visit = m.from_visit)
      ),
      ${appendWorkspaceBatchesCte('event_source', 'logged')}
      select 'moved' as kind, id as run_id, status, step_visit as visit, due_in_seconds,
             already_enqueued, null::uuid as workspace_id, null::int[] as seqs,
             null::bigint as first_cursor, null::timestamptz as occurred_at
      from moved
      union all
      select 'events', null, null, null, null, null, workspace_id, seqs, first_cursor,
             occurred_at
      from logged`,
  );
  const logged = loggedEvents(
    planned,
    rows.flatMap((row) =>
      row.kind === 'events'
        ? [
            {
              workspaceId: row.workspace_id!,
              seqs: row.seqs!,
              firstCursor: Number(row.first_cursor),
              occurredAt: row.occurred_at!,
            },
          ]
        : [],
    ),
  );
  await publishQuietly(events, logged);
  return rows
    .filter((row) => row.kind === 'moved')
    .map((row) => ({
      runId: row.run_id,
      status: row.status,
      visit: row.visit,
      dueInSeconds: row.due_in_seconds,
      alreadyEnqueued: row.already_enqueued,
    }));
}
