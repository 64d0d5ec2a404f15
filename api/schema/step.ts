import type { SendMessageConfig, WaitConfig } from '../../workflow/types';
import { builder } from '../builder';
import { SendMessageConfigRef } from './send-message-config';

/**
 * A workflow's draft steps: one `Step` interface over the `steps` table, implemented per step
 * type (the `type` column). Each implementation reads its typed config from `steps.config`.
 */

export const StepTypeEnum = builder.enumType('StepType', {
  values: {
    SEND_MESSAGE: { value: 'send_message' },
    WAIT: { value: 'wait' },
  } as const,
});

const STEP_TYPE_NAMES = { send_message: 'SendMessageStep', wait: 'WaitStep' } as const;

export const StepRef = builder.drizzleInterface('steps', {
  name: 'Step',
  resolveType: (step) => STEP_TYPE_NAMES[step.type],
  // Column fields read the row directly. The type has no `select`, so every query that loads a
  // step loads all its columns; an `expose` would declare its column again and make the drizzle
  // plugin look up, for every field of every step, whether the row was loaded with it.
  fields: (t) => ({
    id: t.id({ resolve: (step) => step.id }),
    type: t.field({ type: StepTypeEnum, resolve: (step) => step.type }),
    name: t.string({ nullable: true, resolve: (step) => step.name }),
    position: t.int({
      description: 'Display order in the editor.',
      resolve: (step) => step.position,
    }),
    nextStepId: t.id({ nullable: true, resolve: (step) => step.nextStepId }),
    failureStepId: t.id({ nullable: true, resolve: (step) => step.failureStepId }),
    createdAt: t.field({ type: 'DateTime', resolve: (step) => step.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (step) => step.updatedAt }),
  }),
});

// Added after the interface exists: its own fields refer to it.
builder.drizzleInterfaceFields(StepRef, (t) => ({
  nextStep: t.relation('nextStep', {
    type: StepRef,
    nullable: true,
    description: 'Where the contact goes after this step; null ends the workflow.',
  }),
  failureStep: t.relation('failureStep', {
    type: StepRef,
    nullable: true,
    description: 'Where a failed send goes when the failure branch is on.',
  }),
}));

export const SendMessageStepRef = builder.drizzleObject('steps', {
  variant: 'SendMessageStep',
  description: 'Send a Message: sends content to the contact on a channel.',
  interfaces: [StepRef],
  fields: (t) => ({
    config: t.field({
      type: SendMessageConfigRef,
      resolve: (step) => step.config as unknown as SendMessageConfig,
    }),
  }),
});

export const WaitStepRef = builder.drizzleObject('steps', {
  variant: 'WaitStep',
  description: 'Waits before the contact moves on to the next step.',
  interfaces: [StepRef],
  fields: (t) => ({
    seconds: t.int({ resolve: (step) => (step.config as unknown as WaitConfig).seconds }),
  }),
});
