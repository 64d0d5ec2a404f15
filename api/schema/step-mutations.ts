import { builder } from '../builder';
import { refreshStaleTemplates } from '../channel-connection';
import { NotFoundError, ValidationError } from '../errors';
import { toSendMessageConfig } from '../workflows/config-input';
import {
  addStep,
  deleteStep,
  MAX_STEP_POSITION,
  setEntryStep,
  updateStep,
} from '../workflows/step-writes';
import { SendMessageConfigInput } from './send-message-config-input';
import { StepRef } from './step';

/**
 * Mutations on a workflow's draft steps. Each validates against the caller's workspace (see
 * api/workflows/step-writes.ts) and returns a ValidationError, writing nothing, when rejected.
 */

const stepErrors = { types: [ValidationError, NotFoundError] };

const POSITION = `Editor order, 0 to ${MAX_STEP_POSITION.toLocaleString('en-US')}`;
const NEW_POSITION = `${POSITION}; after the last step when omitted.`;

const AddSendMessageStepInput = builder.inputType('AddSendMessageStepInput', {
  fields: (t) => ({
    workflowId: t.id({ required: true }),
    name: t.string(),
    config: t.field({ type: SendMessageConfigInput, required: true }),
    nextStepId: t.id(),
    failureStepId: t.id({ description: 'Where failed sends go when failureBranchEnabled.' }),
    position: t.int({ description: NEW_POSITION }),
  }),
});

const UpdateSendMessageStepInput = builder.inputType('UpdateSendMessageStepInput', {
  description: 'Omitted fields stay as they are; null clears nextStepId or failureStepId.',
  fields: (t) => ({
    stepId: t.id({ required: true }),
    name: t.string(),
    config: t.field({ type: SendMessageConfigInput, description: 'Replaces the whole config.' }),
    nextStepId: t.id(),
    failureStepId: t.id(),
    position: t.int({ description: `${POSITION}.` }),
  }),
});

const AddWaitStepInput = builder.inputType('AddWaitStepInput', {
  fields: (t) => ({
    workflowId: t.id({ required: true }),
    name: t.string(),
    seconds: t.int({ required: true }),
    nextStepId: t.id(),
    position: t.int({ description: NEW_POSITION }),
  }),
});

const UpdateWaitStepInput = builder.inputType('UpdateWaitStepInput', {
  description: 'Omitted fields stay as they are; null clears nextStepId.',
  fields: (t) => ({
    stepId: t.id({ required: true }),
    name: t.string(),
    seconds: t.int(),
    nextStepId: t.id(),
    position: t.int({ description: `${POSITION}.` }),
  }),
});

/** An optional id argument as a string; null and undefined keep their meaning. */
function optionalId(id: string | number | null | undefined): string | null | undefined {
  return id === null || id === undefined ? id : String(id);
}

builder.mutationFields((t) => ({
  addSendMessageStep: t.drizzleField({
    type: StepRef,
    errors: stepErrors,
    args: { input: t.arg({ type: AddSendMessageStepInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const config = toSendMessageConfig(input.config, 'config.');
      await refreshStaleTemplates(ctx, [config]);
      return addStep(ctx.db, ctx.workspaceId, {
        workflowId: String(input.workflowId),
        type: 'send_message',
        name: input.name,
        config,
        nextStepId: optionalId(input.nextStepId),
        failureStepId: optionalId(input.failureStepId),
        position: input.position,
      });
    },
  }),
  updateSendMessageStep: t.drizzleField({
    type: StepRef,
    errors: stepErrors,
    args: { input: t.arg({ type: UpdateSendMessageStepInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const config = input.config ? toSendMessageConfig(input.config, 'config.') : undefined;
      if (config) await refreshStaleTemplates(ctx, [config]);
      return updateStep(ctx.db, ctx.workspaceId, String(input.stepId), 'send_message', {
        name: input.name,
        config,
        nextStepId: optionalId(input.nextStepId),
        failureStepId: optionalId(input.failureStepId),
        position: input.position,
      });
    },
  }),
  addWaitStep: t.drizzleField({
    type: StepRef,
    errors: stepErrors,
    args: { input: t.arg({ type: AddWaitStepInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      addStep(ctx.db, ctx.workspaceId, {
        workflowId: String(input.workflowId),
        type: 'wait',
        name: input.name,
        config: { seconds: input.seconds },
        nextStepId: optionalId(input.nextStepId),
        position: input.position,
      }),
  }),
  updateWaitStep: t.drizzleField({
    type: StepRef,
    errors: stepErrors,
    args: { input: t.arg({ type: UpdateWaitStepInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      updateStep(ctx.db, ctx.workspaceId, String(input.stepId), 'wait', {
        name: input.name,
        config: input.seconds == null ? undefined : { seconds: input.seconds },
        nextStepId: optionalId(input.nextStepId),
        position: input.position,
      }),
  }),
  connectSteps: t.drizzleField({
    type: StepRef,
    description: 'Sets (or with null, clears) the step a contact goes to after `stepId`.',
    errors: stepErrors,
    args: { stepId: t.arg.id({ required: true }), nextStepId: t.arg.id() },
    resolve: (_query, _root, args, ctx) =>
      updateStep(ctx.db, ctx.workspaceId, String(args.stepId), null, {
        nextStepId: optionalId(args.nextStepId) ?? null,
      }),
  }),
  deleteStep: t.drizzleField({
    type: 'workflows',
    description:
      'Deletes a step; edges to it are cleared and its next step becomes the entry if it was the entry. Returns the workflow.',
    errors: stepErrors,
    args: { stepId: t.arg.id({ required: true }) },
    resolve: (_query, _root, args, ctx) => deleteStep(ctx.db, ctx.workspaceId, String(args.stepId)),
  }),
  setEntryStep: t.drizzleField({
    type: 'workflows',
    errors: stepErrors,
    args: { workflowId: t.arg.id({ required: true }), stepId: t.arg.id({ required: true }) },
    resolve: (_query, _root, args, ctx) =>
      setEntryStep(ctx.db, ctx.workspaceId, String(args.workflowId), String(args.stepId)),
  }),
}));
