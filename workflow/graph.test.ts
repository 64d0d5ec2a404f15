import { describe, expect, it } from 'vitest';
import { validateGraph } from './graph';
import { sendStep, waitStep } from './graph-fixtures';
import type { GraphStep } from './types';

function issues(entryStepId: string, steps: GraphStep[]) {
  return validateGraph({ entryStepId, steps }).map(({ code, stepId, path }) => ({
    code,
    stepId,
    path,
  }));
}

describe('validateGraph', () => {
  it('accepts a linear workflow', () => {
    expect(issues('a', [sendStep('a', 'b'), waitStep('b', 'c'), sendStep('c', null)])).toEqual([]);
  });

  it('accepts a failure branch that rejoins the main path', () => {
    const steps = [
      sendStep('a', 'b', { failureStepId: 'fallback', config: { failureBranchEnabled: true } }),
      sendStep('fallback', 'b'),
      sendStep('b', null),
    ];
    expect(issues('a', steps)).toEqual([]);
  });

  it('reports a workflow with no steps', () => {
    expect(issues('a', [])).toEqual([{ code: 'GRAPH_EMPTY', stepId: null, path: 'steps' }]);
  });

  it('says so when the workflow has no entry step (its entry was deleted)', () => {
    const found = validateGraph({ entryStepId: '', steps: [sendStep('a', null)] });
    expect(found).toMatchObject([{ code: 'GRAPH_EMPTY', stepId: null, path: 'entryStepId' }]);
    expect(found[0]?.message).toBe('The workflow has no entry step: choose the step runs start at');
  });

  it('reports an entry step that is not in the workflow', () => {
    expect(issues('missing', [sendStep('a', null)])).toEqual([
      { code: 'GRAPH_EMPTY', stepId: null, path: 'entryStepId' },
    ]);
  });

  it('reports next and failure edges to steps that are not in the workflow', () => {
    const steps = [
      sendStep('a', 'ghost', {
        failureStepId: 'other_workflow_step',
        config: { failureBranchEnabled: true },
      }),
    ];
    expect(issues('a', steps)).toEqual([
      { code: 'GRAPH_DANGLING_EDGE', stepId: 'a', path: 'nextStepId' },
      { code: 'GRAPH_DANGLING_EDGE', stepId: 'a', path: 'failureStepId' },
    ]);
  });

  it('reports steps no run can reach from the entry', () => {
    expect(issues('a', [sendStep('a', null), sendStep('island', null)])).toEqual([
      { code: 'GRAPH_UNREACHABLE_STEP', stepId: 'island', path: 'id' },
    ]);
  });

  it('counts a step reached only through a failure branch as reachable', () => {
    const steps = [
      sendStep('a', null, { failureStepId: 'f', config: { failureBranchEnabled: true } }),
      sendStep('f', null),
    ];
    expect(issues('a', steps)).toEqual([]);
  });

  it('treats a failure target as no edge when the toggle is off', () => {
    const steps = [sendStep('a', null, { failureStepId: 'f' }), sendStep('f', null)];
    expect(issues('a', steps)).toEqual([
      { code: 'GRAPH_UNREACHABLE_STEP', stepId: 'f', path: 'id' },
    ]);
  });

  it('ignores a failure target on a wait step', () => {
    const wait: GraphStep = { ...waitStep('a', null), failureStepId: 'ghost' };
    expect(issues('a', [wait])).toEqual([]);
  });

  it('reports every step of a cycle over next edges', () => {
    const found = validateGraph({
      entryStepId: 'a',
      steps: [sendStep('a', 'b'), waitStep('b', 'c'), sendStep('c', 'b')],
    });
    expect(found.map(({ code, stepId }) => [code, stepId])).toEqual([
      ['GRAPH_CYCLE', 'b'],
      ['GRAPH_CYCLE', 'c'],
    ]);
    expect(found[0]?.message).toBe('Steps b, c form a cycle');
  });

  it('reports a cycle closed by a failure branch', () => {
    const steps = [
      sendStep('a', 'b'),
      sendStep('b', null, { failureStepId: 'a', config: { failureBranchEnabled: true } }),
    ];
    expect(issues('a', steps)).toEqual([
      { code: 'GRAPH_CYCLE', stepId: 'a', path: 'id' },
      { code: 'GRAPH_CYCLE', stepId: 'b', path: 'id' },
    ]);
  });

  it('reports a step that leads to itself', () => {
    expect(issues('a', [sendStep('a', 'a')])).toEqual([
      { code: 'GRAPH_CYCLE', stepId: 'a', path: 'id' },
    ]);
  });

  it('reports a failure branch that is on without a target', () => {
    const steps = [sendStep('a', null, { config: { failureBranchEnabled: true } })];
    expect(issues('a', steps)).toEqual([
      { code: 'FAILURE_TARGET_REQUIRED', stepId: 'a', path: 'failureStepId' },
    ]);
  });

  it('reports a step id used twice', () => {
    expect(issues('a', [sendStep('a', null), sendStep('a', null)])).toEqual([
      { code: 'INVALID_VALUE', stepId: 'a', path: 'id' },
    ]);
  });

  it('handles long workflows', () => {
    const steps = Array.from({ length: 2000 }, (_, i) =>
      waitStep(`s${i}`, i < 1999 ? `s${i + 1}` : null),
    );
    expect(issues('s0', steps)).toEqual([]);
  });

  it('handles chains of tens of thousands of steps without running out of stack', () => {
    const count = 50_000;
    const chain = Array.from({ length: count }, (_, i) =>
      waitStep(`s${i}`, i < count - 1 ? `s${i + 1}` : null),
    );
    expect(issues('s0', chain)).toEqual([]);
    // The same chain closed into one cycle, the last step leading back to the first.
    const loop = chain.map((step, i) => (i === count - 1 ? { ...step, nextStepId: 's0' } : step));
    const found = issues('s0', loop);
    expect(found).toHaveLength(count);
    expect(found.every((issue) => issue.code === 'GRAPH_CYCLE')).toBe(true);
    expect(found[0]).toEqual({ code: 'GRAPH_CYCLE', stepId: 's0', path: 'id' });
  });

  it('finds each cycle once, in step order, among several', () => {
    const steps = [
      sendStep('a', 'b', { failureStepId: 'e', config: { failureBranchEnabled: true } }),
      waitStep('b', 'c'),
      sendStep('c', 'b'),
      waitStep('e', 'f'),
      sendStep('f', 'f'),
    ];
    expect(issues('a', steps).map(({ stepId }) => stepId)).toEqual(['b', 'c', 'f']);
  });
});
