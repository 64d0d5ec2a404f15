import { describe, expect, it } from 'vitest';
import { sendStep, waitStep } from './graph-fixtures';
import { activeFailureStepId, isSendMessageStep, isWaitStep, outgoingEdges } from './steps';

describe('step kinds', () => {
  it('tells Send a Message steps from Wait steps', () => {
    expect(isSendMessageStep(sendStep('a', null))).toBe(true);
    expect(isWaitStep(sendStep('a', null))).toBe(false);
    expect(isWaitStep(waitStep('w', null))).toBe(true);
  });
});

describe('activeFailureStepId', () => {
  it('is the failure target when the toggle is on', () => {
    const step = sendStep('a', null, {
      failureStepId: 'f',
      config: { failureBranchEnabled: true },
    });
    expect(activeFailureStepId(step)).toBe('f');
  });

  it('is null when the toggle is off, even with a target', () => {
    expect(activeFailureStepId(sendStep('a', null, { failureStepId: 'f' }))).toBeNull();
  });

  it('is null for a wait step', () => {
    expect(activeFailureStepId({ ...waitStep('w', null), failureStepId: 'f' })).toBeNull();
  });
});

describe('outgoingEdges', () => {
  it('lists the next step and the active failure branch', () => {
    const step = sendStep('a', 'b', { failureStepId: 'f', config: { failureBranchEnabled: true } });
    expect(outgoingEdges(step)).toEqual([
      { path: 'nextStepId', to: 'b' },
      { path: 'failureStepId', to: 'f' },
    ]);
  });

  it('lists nothing for a last step without a failure branch', () => {
    expect(outgoingEdges(sendStep('a', null))).toEqual([]);
  });
});
