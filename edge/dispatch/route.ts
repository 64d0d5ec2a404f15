import { findStep, routeAfter, type StepOutcome } from '../../workflow/routing';
import { isSendMessageStep, isWaitStep } from '../../workflow/steps';
import type { ChannelType, FailureReason, GraphStep } from '../../workflow/types';
import { integrationFor, providerOf } from '../channels/registry';
import type { ClaimedDelivery } from './claim';
import { DUE_TOLERANCE_SECONDS } from './limits';
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
 * Minutes a sent message waits for the provider's delivered/failed status ("confirm delivery"),
 * or null to route on acceptance: the step does not ask for it, or the channel's provider sends
 * no delivery receipts (email, custom webhooks, Telegram), so there is nothing to wait for.
 */
export function confirmationWait(
  step: GraphStep,
  channel: { type: ChannelType; provider: string | null },
): number | null {
  if (!isSendMessageStep(step)) return null;
  const timeoutMinutes = step.config.confirmDelivery?.timeoutMinutes;
  if (!timeoutMinutes) return null;
  const integration = integrationFor(channel.type, providerOf(channel));
  return integration?.definition.deliveryReceipts ? timeoutMinutes : null;
}

/**
 * The move for a run whose step's delivery is already finished when the step comes due: the
 * one place "confirm delivery" routes. `sent` (delivered, read, or no status before the wait
 * ended: that counts as sent) goes on as a success; `failed` (also when the provider reported
 * it after accepting the message) takes the failure branch or exits, with the reason recorded.
 * A `sent` one with no delivered or read status yet, at a confirm-delivery step, whose wait
 * (counted from the provider's acceptance, `sent_at`) is not over, waits for the rest of it:
 * a send whose outcome was unknown (a timeout) and that a provider status then proved accepted
 * while it waited for its retry is found so when the retry comes due, and waits as a send the
 * provider accepted at once does.
 */
export function routeFinishedDelivery(
  run: RunState,
  step: GraphStep,
  delivery: Pick<ClaimedDelivery, 'status' | 'reasonCode' | 'reasonDetail' | 'accepted'>,
): RunMove {
  if (delivery.status === 'sent') {
    const left = confirmationLeft(step, delivery.accepted);
    if (left !== null) return stayMove(run, step.id, null, left, false);
    return moveAfter(run, step, { ok: true }, null);
  }
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
 * Seconds left of a sent delivery's confirm-delivery wait, or null when there is none to wait:
 * the step does not confirm delivery, the channel reports none, the provider already reported
 * it delivered or read, or the wait is over (within DUE_TOLERANCE_SECONDS).
 */
function confirmationLeft(
  step: GraphStep,
  accepted: ClaimedDelivery['accepted'] | undefined,
): number | null {
  if (!accepted?.channel) return null;
  if (accepted.providerStatus === 'delivered' || accepted.providerStatus === 'read') return null;
  const minutes = confirmationWait(step, accepted.channel);
  if (minutes === null) return null;
  // Never longer than the whole wait (a provider's clock ahead of ours).
  const left = Math.min(minutes * MINUTE_SECONDS, minutes * MINUTE_SECONDS - accepted.secondsAgo);
  return left > DUE_TOLERANCE_SECONDS ? left : null;
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
 * delivery's outcome was recorded by the same statement; null: a delivery already recorded),
 * due in `dueInSeconds`.
 */
function stayMove(
  run: RunState,
  stepId: string,
  deliveryId: string | null,
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
