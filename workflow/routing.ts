import { activeFailureStepId } from './steps';
import type { FailureReason, GraphStep } from './types';

export { findStep } from './steps';

/** How a step ended. */
export type StepOutcome = { ok: true } | { ok: false; reason: FailureReason; detail?: string };

/** Where a run goes after a step: another step, done, or out of the workflow with a reason. */
export type Route =
  | { kind: 'step'; stepId: string }
  | { kind: 'complete' }
  | { kind: 'exit'; reason: string };

/**
 * Routes a run after a step ("Add Message Failure Branch"): success goes to the
 * next step, or completes the run at the end; a failure goes to the failure branch when the
 * step's toggle is on and has a target, and otherwise makes the contact exit with the reason.
 */
export function routeAfter(step: GraphStep, outcome: StepOutcome): Route {
  if (outcome.ok) {
    return step.nextStepId ? { kind: 'step', stepId: step.nextStepId } : { kind: 'complete' };
  }
  const failureStepId = activeFailureStepId(step);
  return failureStepId
    ? { kind: 'step', stepId: failureStepId }
    : { kind: 'exit', reason: outcome.reason };
}
