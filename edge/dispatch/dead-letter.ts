import type { Message } from '@cloudflare/workers-types/latest';
import { sql } from 'drizzle-orm';
import { v7 as uuidV7 } from 'uuid';
import type { Database } from '../../db/client';
import { appendEventsCte, deliveryEventData, type EventRow } from '../../db/event-log';
import { jsonParam, queryRows } from '../../db/rows';
import { findStep } from '../../workflow/routing';
import { isSendMessageStep } from '../../workflow/steps';
import type { FailureReason } from '../../workflow/types';
import { publishQuietly } from '../events/publish';
import { type EventPublisher, loggedEventFromRow } from '../events/types';
import { log } from '../log';
import type { DeliveryKey } from './claim';
import { type DispatchSender, enqueueRuns } from './enqueue';
import { isCurrentRun, loadRuns } from './load';
import { type DispatchRequest, parseDispatchMessage } from './message';
import { recordAndMove } from './record';
import type { RunMove } from './record-input';
import { exitMove, MISSING_STEP_REASON, moveAfter } from './route';

/** The detail recorded on a delivery whose message exhausted the queue's retries. */
export const DEAD_LETTER_DETAIL = 'dead-lettered';

/** The reason recorded when the delivery had no earlier failure to blame. */
const DEAD_LETTER_REASON: FailureReason = 'network';

interface FailedRow {
  event: EventRow | null;
  id: string;
  run_id: string;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  reason_code: string | null;
}

/**
 * Marks the deliveries of dead-lettered send steps failed (keeping the last transient reason,
 * else `network`), creating the row when the message died before any claim. A delivery that
 * was sent meanwhile is left alone, and so is a run whose send a live claim holds (that send
 * records itself); each one failed here is a `delivery.failed` partner event (same
 * statement). Returns the delivery status and reason of each run it finished.
 */
async function failDeliveries(
  db: Database,
  keys: readonly DeliveryKey[],
  events: EventPublisher | undefined,
): Promise<FailedRow[]> {
  if (keys.length === 0) return [];
  const rows = keys.map((key) => ({
    workspace_id: key.workspaceId,
    run_id: key.runId,
    step_id: key.stepId,
    visit: key.visit,
    // For a step no claim ever reached (the message died before): as the claim would give it.
    new_delivery_id: uuidV7(),
  }));
  const result = await queryRows<FailedRow>(
    db,
    sql`with keys as (
        select * from json_to_recordset(${jsonParam(rows)}::json)
          as k(workspace_id uuid, run_id uuid, step_id uuid, visit int, new_delivery_id uuid)
      ),
      -- The runs still at that step whose delivery no live claim holds (a send in flight
      -- records its own outcome and moves its run), told on their row that it is finished,
      -- so that no claim sends it after this (edge/dispatch/claim.ts).
      finishing as (
        update runs r
        set delivery_finished = true, lease_until = null,
            delivery_id = coalesce(r.delivery_id, k.new_delivery_id), updated_at = now()
        from keys k
        where r.id = k.run_id and (r.status = 'active') is true
          and r.current_step_id = k.step_id and r.step_visit = k.visit
          and (r.lease_until is null or r.lease_until < now())
        returning r.id, r.delivery_id, r.delivery_attempts, k.workspace_id, k.step_id, k.visit
      ),
      failed as (
        -- With the id the run's claims sent it under, if any attempt was made. No recipient:
        -- this statement knows none, and a row an attempt recorded keeps its own.
        insert into deliveries as d
          (id, workspace_id, run_id, step_id, visit, status, attempts, reason_code, reason_detail)
        select f.delivery_id, f.workspace_id, f.id, f.step_id, f.visit, 'failed',
               f.delivery_attempts, ${DEAD_LETTER_REASON}, ${DEAD_LETTER_DETAIL}
        from finishing f
        on conflict (run_id, step_id, visit) do update
        set status = 'failed', reason_code = coalesce(d.reason_code, ${DEAD_LETTER_REASON}),
            reason_detail = ${DEAD_LETTER_DETAIL}, updated_at = now()
        where d.status in ('queued', 'sending')
        returning d.*
      ),
      failed_events as (
        select f.workspace_id, row_number() over (order by f.id) as seq,
               'delivery.failed' as type, ${deliveryEventData('f', 'r')} as data,
               r.workflow_id, f.run_id, r.contact_id, f.channel_id, f.id as delivery_id
        from failed f join runs r on r.id = f.run_id
      ),
      ${appendEventsCte('failed_events', 'logged')}
      select null::jsonb as event, id, run_id, status, reason_code from failed
      union all
      select null, d.id, d.run_id, d.status, d.reason_code from deliveries d
      join finishing f on d.run_id = f.id and d.step_id = f.step_id and d.visit = f.visit
      where d.id not in (select id from failed)
      union all
      select to_jsonb(e), null, null, null, null from logged e`,
  );
  await publishQuietly(
    events,
    result.flatMap((row) => (row.event ? [loggedEventFromRow(row.event)] : [])),
  );
  return result.filter((row) => !row.event);
}

/**
 * Consumes the dead letter queue: a message lands there when the dispatch queue gave up on it
 * (every retry threw). A send step counts as failed: the delivery is marked failed and the run
 * is routed like any other failure (failure branch when the toggle is on, else exit). A wait
 * step cannot fail, so its run is left for the sweep to re-enqueue. Messages for runs that have
 * moved on are dropped.
 */
export async function deadLetterBatch(
  messages: readonly Message<unknown>[],
  deps: { db: Database; sender: DispatchSender; events?: EventPublisher },
): Promise<void> {
  const bodies = messages.map((message) => parseDispatchMessage(message.body));
  const runs = await loadRuns(deps.db, [
    ...new Set(bodies.flatMap((body) => (body ? [body.runId] : []))),
  ]);
  const moves: RunMove[] = [];
  const keys: DeliveryKey[] = [];
  const seen = new Set<string>();
  for (const body of bodies) {
    const run = body ? runs.get(body.runId) : undefined;
    if (!body || !isCurrentRun(run, body)) continue;
    if (seen.has(run.id)) continue;
    seen.add(run.id);
    const step = run.currentStepId ? findStep(run.graph, run.currentStepId) : undefined;
    if (!step) {
      moves.push(exitMove(run, run.currentStepId, MISSING_STEP_REASON, null));
    } else if (isSendMessageStep(step)) {
      keys.push({
        workspaceId: run.workspaceId,
        runId: run.id,
        stepId: step.id,
        visit: run.stepVisit,
      });
    } else {
      // A wait cannot fail: its run stays where it is, and the sweep re-enqueues it (it is
      // active, and its message is stale) once it is due.
      log('warn', 'dispatch: wait message dead-lettered; left to the sweep', {
        workspaceId: run.workspaceId,
        runId: run.id,
      });
    }
  }
  for (const row of await failDeliveries(deps.db, keys, deps.events)) {
    const run = runs.get(row.run_id)!;
    const step = findStep(run.graph, run.currentStepId!)!;
    const outcome =
      row.status === 'sent'
        ? ({ ok: true } as const)
        : {
            ok: false as const,
            reason: (row.reason_code ?? DEAD_LETTER_REASON) as FailureReason,
            detail: DEAD_LETTER_DETAIL,
          };
    log('warn', 'dispatch: message dead-lettered', {
      workspaceId: run.workspaceId,
      runId: run.id,
      deliveryId: row.id,
      outcome: row.status === 'sent' ? 'sent' : 'failed',
      reason: row.reason_code ?? DEAD_LETTER_REASON,
    });
    moves.push(moveAfter(run, step, outcome, null));
  }
  const moved = await recordAndMove(deps.db, [], moves, deps.events);
  const requests: DispatchRequest[] = moved
    .filter((run) => run.status === 'active')
    .map((run) => ({ runId: run.runId, visit: run.visit, delaySeconds: run.dueInSeconds }));
  const enqueued = await enqueueRuns(deps.db, deps.sender, requests);
  if (enqueued.error) {
    log('error', 'dispatch: enqueueing after dead letters failed', { error: enqueued.error });
  }
  for (const message of messages) message.ack();
}
