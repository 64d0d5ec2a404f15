import type { GraphStep, SendMessageConfig, WaitConfig, WorkflowGraph } from './types';

export type SendMessageStep = GraphStep & { type: 'send_message'; config: SendMessageConfig };
export type WaitStep = GraphStep & { type: 'wait'; config: WaitConfig };

/** Narrows a step to a Send a Message step (its config is then a SendMessageConfig). */
export function isSendMessageStep(step: GraphStep): step is SendMessageStep {
  return step.type === 'send_message';
}

/** Narrows a step to a Wait step. */
export function isWaitStep(step: GraphStep): step is WaitStep {
  return step.type === 'wait';
}

/** The step with `id` in `graph`, if any. */
export function findStep(graph: WorkflowGraph, id: string): GraphStep | undefined {
  return graph.steps.find((step) => step.id === id);
}

/**
 * The step a failed send goes to, when its failure branch is on and has a target. A
 * `failureStepId` on a step with the toggle off, or on a step that cannot fail a send, is
 * ignored (it may be left over from an earlier edit).
 */
export function activeFailureStepId(step: GraphStep): string | null {
  if (!isSendMessageStep(step) || !step.config?.failureBranchEnabled) return null;
  return step.failureStepId || null;
}

/** The steps `step` can lead to: its next step and its active failure branch. */
export function outgoingEdges(
  step: GraphStep,
): { path: 'nextStepId' | 'failureStepId'; to: string }[] {
  const edges: { path: 'nextStepId' | 'failureStepId'; to: string }[] = [];
  if (step.nextStepId) edges.push({ path: 'nextStepId', to: step.nextStepId });
  const failure = activeFailureStepId(step);
  if (failure) edges.push({ path: 'failureStepId', to: failure });
  return edges;
}
