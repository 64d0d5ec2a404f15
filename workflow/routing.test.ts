import { describe, expect, it } from 'vitest';
import { sendStep, waitStep } from './graph-fixtures';
import { findStep, routeAfter } from './routing';

const failed = { ok: false, reason: 'messaging_window_closed', detail: 'closed' } as const;

describe('routeAfter', () => {
  it('goes to the next step after a success', () => {
    expect(routeAfter(sendStep('a', 'b'), { ok: true })).toEqual({ kind: 'step', stepId: 'b' });
  });

  it('completes the run after the last step succeeds', () => {
    expect(routeAfter(waitStep('a', null), { ok: true })).toEqual({ kind: 'complete' });
  });

  it('takes the failure branch when the toggle is on', () => {
    const step = sendStep('a', 'b', { failureStepId: 'f', config: { failureBranchEnabled: true } });
    expect(routeAfter(step, failed)).toEqual({ kind: 'step', stepId: 'f' });
  });

  it('exits with the reason when the toggle is off, even with a leftover target', () => {
    const step = sendStep('a', 'b', { failureStepId: 'f' });
    expect(routeAfter(step, failed)).toEqual({ kind: 'exit', reason: 'messaging_window_closed' });
  });

  it('exits with the reason when the toggle is on without a target', () => {
    const step = sendStep('a', 'b', { config: { failureBranchEnabled: true } });
    expect(routeAfter(step, { ok: false, reason: 'no_associated_channel' })).toEqual({
      kind: 'exit',
      reason: 'no_associated_channel',
    });
  });

  it('exits when a non-send step fails', () => {
    const wait = { ...waitStep('w', 'b'), failureStepId: 'f' };
    expect(routeAfter(wait, { ok: false, reason: 'network' })).toEqual({
      kind: 'exit',
      reason: 'network',
    });
  });
});

describe('findStep', () => {
  const graph = { entryStepId: 'a', steps: [sendStep('a', 'b'), waitStep('b', null)] };

  it('finds a step by id', () => {
    expect(findStep(graph, 'b')?.type).toBe('wait');
  });

  it('returns undefined for an id not in the graph', () => {
    expect(findStep(graph, 'zzz')).toBeUndefined();
  });
});
