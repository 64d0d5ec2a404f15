import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { jsonParam, queryRows, uuidArrayParam } from '../../db/rows';

/** What one send came to, as the delivery row records it. */
export interface DeliveryOutcome {
  deliveryId: string;
  /** The claim token: the row's `attempts` when this consumer claimed it. */
  attempts: number;
  /** `queued` means "failed transiently, waiting for its retry". */
  status: 'sent' | 'failed' | 'queued';
  channelId: string | null;
  reasonCode: string | null;
  reasonDetail: string | null;
  providerMessageId: string | null;
  contentSummary: string | null;
  messageIdHeader: string | null;
  /** Set for a sent email: its Message-ID joins this workflow's thread with the contact. */
  thread: { workspaceId: string; workflowId: string; contactId: string } | null;
}

/** How a run moves: to a step (a new visit), out of the workflow, or to a later retry. */
export interface RunMove {
  runId: string;
  /** The visit the move starts from; a run that has left it is not moved again. */
  fromVisit: number;
  /**
   * Apply only if this statement recorded that delivery's outcome, i.e. this consumer still
   * held its claim. Null for moves that do not follow a send (waits, already recorded sends).
   */
  afterDeliveryId: string | null;
  status: 'active' | 'completed' | 'exited';
  stepId: string | null;
  visit: number;
  /** The step is due this many seconds from now (a wait's length, a retry's backoff). */
  dueInSeconds: number;
  exitReason: string | null;
  /** A message for this move is already on its way (a queue retry): stamp `enqueued_at`. */
  alreadyEnqueued: boolean;
}

/** A run that moved, and the message it now needs (when still active). */
export interface MovedRun {
  runId: string;
  status: 'active' | 'completed' | 'exited';
  visit: number;
  dueInSeconds: number;
  alreadyEnqueued: boolean;
}

interface MovedRow {
  run_id: string;
  status: MovedRun['status'];
  visit: number;
  due_in_seconds: number;
  already_enqueued: boolean;
}

/**
 * Records a batch's send outcomes, extends the email threads of the emails sent, and moves the
 * runs, all in ONE statement, so that a delivery is never recorded without its run moving (and
 * the reverse). Outcomes are recorded only while the claim is still ours (`sending`, same
 * attempt count); a move that follows a send applies only if its outcome was recorded here.
 * Runs are moved only from the visit they were at, so a duplicate consumer cannot move one
 * twice. Returns the runs that moved.
 */
export async function recordAndMove(
  db: Database,
  outcomes: readonly DeliveryOutcome[],
  moves: readonly RunMove[],
): Promise<MovedRun[]> {
  if (outcomes.length === 0 && moves.length === 0) return [];
  const outcomeRows = outcomes.map((outcome, seq) => ({
    seq,
    delivery_id: outcome.deliveryId,
    attempts: outcome.attempts,
    status: outcome.status,
    sent_channel_id: outcome.channelId,
    reason_code: outcome.reasonCode,
    reason_detail: outcome.reasonDetail,
    provider_message_id: outcome.providerMessageId,
    content_summary: outcome.contentSummary,
    message_id_header: outcome.messageIdHeader,
    thread_workspace_id: outcome.thread?.workspaceId ?? null,
    thread_workflow_id: outcome.thread?.workflowId ?? null,
    thread_contact_id: outcome.thread?.contactId ?? null,
  }));
  const moveRows = moves.map((move) => ({
    run_id: move.runId,
    from_visit: move.fromVisit,
    after_delivery_id: move.afterDeliveryId,
    status: move.status,
    step_id: move.stepId,
    visit: move.visit,
    due_in_seconds: move.dueInSeconds,
    exit_reason: move.exitReason,
    already_enqueued: move.alreadyEnqueued,
  }));
  // Rows are reached by primary key (see uuidArrayParam), not by their status.
  const deliveryIds = uuidArrayParam(outcomes.map((outcome) => outcome.deliveryId));
  const runIds = uuidArrayParam(moves.map((move) => move.runId));
  const rows = await queryRows<MovedRow>(
    db,
    sql`with given as (
        select * from jsonb_to_recordset(${jsonParam(outcomeRows)}::jsonb) as o(
          seq int, delivery_id uuid, attempts int, status text, sent_channel_id uuid,
          reason_code text, reason_detail text, provider_message_id text, content_summary text,
          message_id_header text, thread_workspace_id uuid, thread_workflow_id uuid,
          thread_contact_id uuid)
      ),
      -- A channel deleted while a send on it was in flight is recorded as none, as deleting it
      -- would have set it (a foreign key error would fail the whole batch); the key-share lock
      -- keeps a channel that is still there until this statement ends.
      outcome as (
        select g.*, c.id as channel_id from given g
        left join lateral (
          select id from channels where id = g.sent_channel_id for key share
        ) c on true
      ),
      recorded as (
        update deliveries d
        set status = o.status,
            channel_id = coalesce(o.channel_id, d.channel_id),
            reason_code = o.reason_code,
            reason_detail = o.reason_detail,
            provider_message_id = coalesce(o.provider_message_id, d.provider_message_id),
            content_summary = coalesce(o.content_summary, d.content_summary),
            message_id_header = coalesce(o.message_id_header, d.message_id_header),
            lease_until = null,
            sent_at = case when o.status = 'sent' then now() else d.sent_at end,
            updated_at = now()
        from outcome o
        where d.id = any(${deliveryIds})
          and d.id = o.delivery_id and d.status = 'sending' and d.attempts = o.attempts
        returning d.id
      ),
      threaded as (
        insert into email_threads as t (workspace_id, workflow_id, contact_id, channel_id, message_ids)
        select o.thread_workspace_id, o.thread_workflow_id, o.thread_contact_id, o.channel_id,
               array_agg(o.message_id_header order by o.seq)
        from outcome o
        where o.status = 'sent' and o.thread_workflow_id is not null
          and o.channel_id is not null
          and o.message_id_header is not null and o.delivery_id in (select id from recorded)
        group by o.thread_workspace_id, o.thread_workflow_id, o.thread_contact_id, o.channel_id
        on conflict (workflow_id, contact_id, channel_id) do update
        set message_ids = t.message_ids || array(
              select m from unnest(excluded.message_ids) as m where not m = any(t.message_ids)),
            updated_at = now()
        returning t.id
      ),
      move as (
        select * from jsonb_to_recordset(${jsonParam(moveRows)}::jsonb) as m(
          run_id uuid, from_visit int, after_delivery_id uuid, status text, step_id uuid,
          visit int, due_in_seconds float8, exit_reason text, already_enqueued boolean)
      ),
      moved as (
        update runs r
        set status = m.status,
            current_step_id = m.step_id,
            step_visit = m.visit,
            due_at = now() + m.due_in_seconds * interval '1 second',
            enqueued_at = case when m.already_enqueued
              then now() + m.due_in_seconds * interval '1 second' end,
            exit_reason = m.exit_reason,
            ended_at = case when m.status = 'active' then null else now() end,
            updated_at = now()
        from move m
        where r.id = any(${runIds})
          and r.id = m.run_id and (r.status = 'active') is true and r.step_visit = m.from_visit
          and (m.after_delivery_id is null or m.after_delivery_id in (select id from recorded))
        returning r.id, r.status, r.step_visit, m.due_in_seconds, m.already_enqueued
      )
      select id as run_id, status, step_visit as visit, due_in_seconds, already_enqueued
      from moved`,
  );
  return rows.map((row) => ({
    runId: row.run_id,
    status: row.status,
    visit: row.visit,
    dueInSeconds: row.due_in_seconds,
    alreadyEnqueued: row.already_enqueued,
  }));
}
