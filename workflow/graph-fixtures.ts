import type { GraphStep, SendMessageConfig } from './types';

/** A valid Send a Message config for tests, with `overrides` applied. */
export function sendConfig(overrides: Partial<SendMessageConfig> = {}): SendMessageConfig {
  return {
    channel: { kind: 'last_interacted' },
    defaultMessage: { type: 'text', text: 'Hi $contact.firstname' },
    channelResponses: [],
    failureBranchEnabled: false,
    ...overrides,
  };
}

/** A Send a Message step for tests. */
export function sendStep(
  id: string,
  nextStepId: string | null,
  options: { failureStepId?: string | null; config?: Partial<SendMessageConfig> } = {},
): GraphStep {
  return {
    id,
    type: 'send_message',
    config: sendConfig(options.config),
    nextStepId,
    failureStepId: options.failureStepId ?? null,
  };
}

/** A Wait step for tests. */
export function waitStep(id: string, nextStepId: string | null, seconds = 60): GraphStep {
  return { id, type: 'wait', config: { seconds }, nextStepId, failureStepId: null };
}
