import { storableText } from '../../db/rows';
import {
  type DeliveryEventData,
  type EventType,
  type LoggedEvent,
  loggedEvent,
  type RunEventData,
} from '../events/types';
import { log } from '../log';
import { RUN_CANCELLED_REASON, runCancelledDetail } from './cancelled';
import type { DeliveryOutcome, RunMove } from './record-input';

/**
 * The partner events a record statement may log, as the consumer publishes them. The statement
 * builds the same events from its own rows (edge/dispatch/record.ts, `event_source`: same
 * order, same data) for the changes it made, numbers them and stores them
 * (db/event-log.ts), and returns only which it kept and their first cursor; `loggedEvents`
 * then gives the planned ones their cursors for publishing. Planned here rather than returned
 * by the statement: a statement that sends 300 JSON objects back spent most of its time on
 * that (a batch of 100 measured apart: ~11 ms so, ~5 ms with no events). Nor are they sent
 * to it: parsing 300 events' JSON cost the server ~3 ms of CPU per batch (bench/README.md,
 * "Prepared statements, and events built by the record").
 */
export interface PlannedEvent {
  /** Orders the statement's events: a delivery's come before its run's move. */
  seq: number;
  workspace_id: string;
  type: EventType;
  data: DeliveryEventData | RunEventData;
  workflow_id: string;
  run_id: string;
  contact_id: string;
  channel_id: string | null;
  delivery_id: string | null;
}

/**
 * For each outcome (seq 2i and 2i + 1): `delivery.queued` as the delivery was before its first
 * attempt, then `delivery.sent` / `delivery.failed` when the attempt finished it (a transient
 * failure waiting for its retry is not an event, unless its run was cancelled while the attempt
 * was in flight: then the record fails it, and this `delivery.failed` is planned for that case,
 * published only if the statement logged it); for each move that leaves its visit (after
 * all outcomes): `run.routed`, `run.completed` or `run.exited`. A retry or a confirm-delivery
 * wait keeps the run on its visit: not a move partners see.
 */
export function planRecordEvents(
  outcomes: readonly DeliveryOutcome[],
  moves: readonly RunMove[],
): PlannedEvent[] {
  const moveAfter = new Map(
    moves.flatMap((move) => (move.afterDeliveryId ? [[move.afterDeliveryId, move]] : [])),
  );
  const events: PlannedEvent[] = [];
  // Object literals rather than spreads: 300 events per batch, built in the Worker.
  outcomes.forEach((outcome, index) => {
    const move = moveAfter.get(outcome.deliveryId);
    // Recorded only with its run's move (recordAndMove); without one it is not recorded at all.
    if (!move) return;
    events.push({
      seq: 2 * index,
      workspace_id: move.workspaceId,
      type: 'delivery.queued',
      data: deliveryData(outcome, move, null),
      workflow_id: move.workflowId,
      run_id: move.runId,
      contact_id: move.contactId,
      channel_id: null,
      delivery_id: outcome.deliveryId,
    });
    if (outcome.status === 'sent' || outcome.status === 'failed') {
      events.push({
        seq: 2 * index + 1,
        workspace_id: move.workspaceId,
        type: outcome.status === 'sent' ? 'delivery.sent' : 'delivery.failed',
        data: deliveryData(outcome, move, outcome.status),
        workflow_id: move.workflowId,
        run_id: move.runId,
        contact_id: move.contactId,
        channel_id: outcome.channelId,
        delivery_id: outcome.deliveryId,
      });
    } else {
      // Logged only if the run ended while this attempt was in flight (cancelled): the retry
      // will never come, so the record fails the delivery (record.ts, \`sends\`).
      const cancelled: DeliveryOutcome = {
        ...outcome,
        status: 'failed',
        reasonCode: RUN_CANCELLED_REASON,
        reasonDetail: runCancelledDetail(outcome.reasonDetail, outcome.reasonCode),
      };
      events.push({
        seq: 2 * index + 1,
        workspace_id: move.workspaceId,
        type: 'delivery.failed',
        data: deliveryData(cancelled, move, 'failed'),
        workflow_id: move.workflowId,
        run_id: move.runId,
        contact_id: move.contactId,
        channel_id: outcome.channelId,
        delivery_id: outcome.deliveryId,
      });
    }
  });
  moves.forEach((move, index) => {
    if (move.status === 'active' && move.visit === move.fromVisit) return;
    const run: RunEventData = {
      run: {
        id: move.runId,
        workflowId: move.workflowId,
        contactId: move.contactId,
        status: move.status,
        stepId: move.stepId,
        visit: move.visit,
        fromStepId: move.fromStepId,
        exitReason: move.exitReason,
      },
    };
    events.push({
      seq: 2 * outcomes.length + index,
      workspace_id: move.workspaceId,
      type:
        move.status === 'completed'
          ? 'run.completed'
          : move.status === 'exited'
            ? 'run.exited'
            : 'run.routed',
      data: run,
      workflow_id: move.workflowId,
      run_id: move.runId,
      contact_id: move.contactId,
      channel_id: null,
      delivery_id: null,
    });
  });
  return events;
}

/** What the statement logged of one workspace's planned events. */
export interface LoggedSeqs {
  workspaceId: string;
  /** The kept events' seqs, in any order: their cursors follow their numeric order. */
  seqs: number[];
  /** The cursor of the first of them; the rest follow one by one. */
  firstCursor: number;
  occurredAt: string;
}

/** The planned events the statement kept, with their cursors, as the EventHub publishes them. */
export function loggedEvents(
  planned: readonly PlannedEvent[],
  logged: readonly LoggedSeqs[],
): LoggedEvent[] {
  const bySeq = new Map(planned.map((event) => [event.seq, event]));
  const events: LoggedEvent[] = [];
  for (const { seqs, firstCursor, occurredAt } of logged) {
    const at = new Date(occurredAt).toISOString();
    // The statement returns them unsorted (appendWorkspaceBatchesCte: its one sort is the
    // events' own, into the log row); at most 300 numbers are sorted here.
    const inCursorOrder = [...seqs].sort((a, b) => a - b);
    inCursorOrder.forEach((seq, index) => {
      const event = bySeq.get(seq);
      if (!event) {
        // The statement and planRecordEvents disagree (a bug): the batch is committed, so the
        // rest is still published; the log holds this one for replay.
        log('error', 'dispatch: the record logged an event the consumer did not plan', { seq });
        return;
      }
      events.push(
        loggedEvent({
          workspaceId: event.workspace_id,
          cursor: firstCursor + index,
          refs: {
            workflowId: event.workflow_id,
            runId: event.run_id,
            contactId: event.contact_id,
            channelId: event.channel_id,
          },
          type: event.type,
          occurredAt: at,
          data: event.data,
        }),
      );
    });
  }
  return events;
}

/**
 * A delivery event's data: as the delivery was created (`finished` null: no attempt made yet),
 * or as its attempt finished it. Provider text as the log stores it (jsonParam), so that what
 * is published now is what a replay reads later.
 */
function deliveryData(
  outcome: DeliveryOutcome,
  move: RunMove,
  finished: 'sent' | 'failed' | null,
): DeliveryEventData {
  return {
    delivery: {
      id: outcome.deliveryId,
      runId: move.runId,
      stepId: move.fromStepId ?? '',
      visit: move.fromVisit,
      workflowId: move.workflowId,
      contactId: move.contactId,
      channelId: finished ? outcome.channelId : null,
      status: finished ?? 'queued',
      providerStatus: null,
      providerMessageId: finished ? nullableText(outcome.providerMessageId) : null,
      reason:
        finished && outcome.reasonCode
          ? { code: outcome.reasonCode, detail: nullableText(outcome.reasonDetail) }
          : null,
    },
  };
}

function nullableText(text: string | null): string | null {
  return text === null ? null : storableText(text);
}
