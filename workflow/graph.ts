import { isSendMessageStep, outgoingEdges } from './steps';
import type { GraphStep, WorkflowGraph } from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';

function issue(
  code: ValidationIssue['code'],
  stepId: string | null,
  path: string,
  message: string,
): ValidationIssue {
  return validationIssue(code, path, message, stepId);
}

/**
 * Strongly connected components that contain a cycle (Tarjan's algorithm): groups of steps
 * from which a run could come back to where it was. Each group is in `steps` order. Iterative
 * (an explicit stack of steps and their next edge), so that a long chain of steps cannot
 * exhaust the call stack.
 */
function cyclicGroups(steps: GraphStep[], edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  let counter = 0;

  function enter(id: string, path: { id: string; edge: number }[]): void {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
    path.push({ id, edge: 0 });
  }

  function close(id: string): void {
    if (low.get(id) !== index.get(id)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== id);
    const selfLoop = edges.get(id)?.includes(id) ?? false;
    if (group.length > 1 || selfLoop) groups.push(group);
  }

  for (const step of steps) {
    if (index.has(step.id)) continue;
    const path: { id: string; edge: number }[] = [];
    enter(step.id, path);
    while (path.length > 0) {
      const frame = path.at(-1)!;
      const targets = edges.get(frame.id) ?? [];
      if (frame.edge < targets.length) {
        const to = targets[frame.edge++]!;
        if (!index.has(to)) {
          enter(to, path);
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      path.pop();
      close(frame.id);
      const parent = path.at(-1);
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
    }
  }
  const order = new Map(steps.map((step, position) => [step.id, position]));
  return groups.map((group) => group.sort((a, b) => order.get(a)! - order.get(b)!));
}

/**
 * Everything that stops a workflow graph from being published: no steps or no entry step,
 * edges to steps that are not in the graph, steps no run can reach from the entry, cycles
 * over next and failure edges, and failure branches switched on without a target. Failure
 * edges count only when the step's toggle is on. Every issue names its step.
 */
export function validateGraph(graph: WorkflowGraph): ValidationIssue[] {
  const steps = graph.steps ?? [];
  if (steps.length === 0) {
    return [issue('GRAPH_EMPTY', null, 'steps', 'The workflow has no steps')];
  }
  const issues: ValidationIssue[] = [];
  const ids = new Set<string>();
  for (const step of steps) {
    if (ids.has(step.id)) {
      issues.push(issue('INVALID_VALUE', step.id, 'id', `Step id ${step.id} is used twice`));
    }
    ids.add(step.id);
  }
  if (!ids.has(graph.entryStepId)) {
    issues.push(
      issue(
        'GRAPH_EMPTY',
        null,
        'entryStepId',
        graph.entryStepId
          ? `Entry step ${graph.entryStepId} is not in the workflow`
          : 'The workflow has no entry step: choose the step runs start at',
      ),
    );
  }

  const edges = new Map<string, string[]>();
  for (const step of steps) {
    if (isSendMessageStep(step) && step.config?.failureBranchEnabled && !step.failureStepId) {
      issues.push(
        issue(
          'FAILURE_TARGET_REQUIRED',
          step.id,
          'failureStepId',
          'The failure branch is on: choose the step failed sends go to',
        ),
      );
    }
    const targets: string[] = [];
    for (const edge of outgoingEdges(step)) {
      if (ids.has(edge.to)) {
        targets.push(edge.to);
      } else {
        issues.push(
          issue(
            'GRAPH_DANGLING_EDGE',
            step.id,
            edge.path,
            `Step ${step.id} leads to step ${edge.to}, which is not in the workflow`,
          ),
        );
      }
    }
    edges.set(step.id, [...(edges.get(step.id) ?? []), ...targets]);
  }

  if (ids.has(graph.entryStepId)) {
    const reached = new Set([graph.entryStepId]);
    const queue = [graph.entryStepId];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (const to of edges.get(id) ?? []) {
        if (!reached.has(to)) {
          reached.add(to);
          queue.push(to);
        }
      }
    }
    for (const id of ids) {
      if (!reached.has(id)) {
        issues.push(
          issue(
            'GRAPH_UNREACHABLE_STEP',
            id,
            'id',
            `Step ${id} cannot be reached from the entry step`,
          ),
        );
      }
    }
  }

  for (const group of cyclicGroups(steps, edges)) {
    const message =
      group.length === 1
        ? `Step ${group[0]} leads back to itself`
        : `Steps ${group.join(', ')} form a cycle`;
    for (const id of group) issues.push(issue('GRAPH_CYCLE', id, 'id', message));
  }
  return issues;
}
