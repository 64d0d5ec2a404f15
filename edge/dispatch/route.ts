import { findStep, routeAfter, type StepOutcome } from '../../workflow/routing';
import { isWaitStep } from '../../workflow/steps';
import type { FailureReason, GraphStep } from '../../workflow/types';
import type { ClaimedDelivery } from './claim';
import type { RunState } from './load';
import type { RunMove } from './record-input';

/** What a move names of its run besides its id: the keys of the events it may log. */
function runRefs(
  run: RunState,
): Pick<RunMove, 'runId' | 'workspaceId' | 'workflowId' | 'contactId'> {
  return {
    runId: run.id,
    workspaceId: run.workspaceId,
    workflowId: run.workflowId,
    contactId: run.contact.id,
  };
}

/** Exit reason of a run whose pinned graph names a step it does not contain. */
export const MISSING_STEP_REASON = 'step_missing';

/**
 * Seconds after entering `step` that it becomes due: a wait's length, zero for everything
 * else. Starting a workflow and routing a run both use it, so a wait is timed the same way
 * wherever the run enters it.
 */
export function entryDelaySeconds(step: GraphStep): number {
  return isWaitStep(step) ? Math.max(0, step.config.seconds) : 0;
}

/**
 * The move that follows `step` ending with `outcome` (workflow/routing.ts decides where): into
 * the next step or the failure branch as a new visit, timed by `entryDelaySeconds`; or out of
 * the workflow, completed or exited with the reason.
 */
export function moveAfter(
  run: RunState,
  step: GraphStep,
  outcome: StepOutcome,
  afterDeliveryId: string | null,
): RunMove {
  const base = {
    ...runRefs(run),
    fromVisit: run.stepVisit,
    fromStepId: run.currentStepId,
    afterDeliveryId,
    alreadyEnqueued: false,
  };
  const route = routeAfter(step, outcome);
  switch (route.kind) {
    case 'step': {
      const next = findStep(run.graph, route.stepId);
      if (!next) return exitMove(run, step.id, MISSING_STEP_REASON, afterDeliveryId);
      return {
        ...base,
        status: 'active',
        stepId: next.id,
        visit: run.stepVisit + 1,
        dueInSeconds: entryDelaySeconds(next),
        exitReason: null,
      };
    }
    case 'complete':
      return {
        ...base,
        status: 'completed',
        stepId: step.id,
        visit: run.stepVisit,
        dueInSeconds: 0,
        exitReason: null,
      };
    case 'exit':
      return exitMove(run, step.id, route.reason, afterDeliveryId);
  }
}

/** Takes a run out of the workflow at `stepId` with `reason`. */
export function exitMove(
  run: RunState,
  stepId: string | null,
  reason: string,
  afterDeliveryId: string | null,
): RunMove {
  return {
    ...runRefs(run),
    fromVisit: run.stepVisit,
    fromStepId: run.currentStepId,
    afterDeliveryId,
    status: 'exited',
    stepId,
    visit: run.stepVisit,
    dueInSeconds: 0,
    exitReason: reason,
    alreadyEnqueued: false,
  };
}

/** Seconds in a minute, for confirm-delivery waits given in minutes. */
const MINUTE_SECONDS = 60;

/**
 * Keeps a run on its step after its message was accepted, for "confirm delivery": the step
 * becomes due when the wait ends (a message for then is enqueued after the record), or earlier
 * when the provider's delivered/read/failed status arrives (edge/callbacks/status-updates.ts
 * makes it due). Either way dispatch then routes it with `routeFinishedDelivery`.
 */
export function awaitDeliveryMove(
  run: RunState,
  stepId: string,
  deliveryId: string,
  timeoutMinutes: number,
): RunMove {
  // The queue message for the end of the wait is enqueued after the record.
  return stayMove(run, stepId, deliveryId, timeoutMinutes * MINUTE_SECONDS, false);
}

/**
 * The move for a run whose step's delivery is already finished when the step comes due: the
 * one place "confirm delivery" routes. `sent` (delivered, read, or no status before the wait
 * ended: that counts as sent) goes on as a success; `failed` (also when the provider reported
 * it after accepting the message) takes the failure branch or exits, with the reason recorded.
 */
export function routeFinishedDelivery(
  run: RunState,
  step: GraphStep,
  delivery: Pick<ClaimedDelivery, 'status' | 'reasonCode' | 'reasonDetail'>,
): RunMove {
  if (delivery.status === 'sent') return moveAfter(run, step, { ok: true }, null);
  return moveAfter(
    run,
    step,
    {
      ok: false,
      reason: (delivery.reasonCode ?? 'network') as FailureReason,
      detail: delivery.reasonDetail ?? '',
    },
    null,
  );
}

/**
 * Keeps a run on its step until a delivery's retry: the step becomes due after the backoff, and
 * `enqueued_at` says a message (the queue's retry) is on its way for then.
 */
export function retryMove(
  run: RunState,
  stepId: string,
  deliveryId: string,
  delaySeconds: number,
): RunMove {
  return stayMove(run, stepId, deliveryId, delaySeconds, true);
}

/**
 * Keeps a run on its step, at the same visit, after a delivery (the move applies only if that
 * delivery's outcome was recorded by the same statement), due in `dueInSeconds`.
 */
function stayMove(
  run: RunState,
  stepId: string,
  deliveryId: string,
  dueInSeconds: number,
  alreadyEnqueued: boolean,
): RunMove {
  return {
    ...runRefs(run),
    fromVisit: run.stepVisit,
    fromStepId: run.currentStepId,
    afterDeliveryId: deliveryId,
    status: 'active',
    stepId,
    visit: run.stepVisit,
    dueInSeconds,
    exitReason: null,
    alreadyEnqueued,
  };
}
