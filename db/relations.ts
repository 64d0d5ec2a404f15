import { defineRelations } from 'drizzle-orm';
import * as schema from './schema';

/** Drizzle relational-query (v2) relations, shared by the app and the Pothos drizzle plugin. */
export const relations = defineRelations(schema, (r) => ({
  workspaces: {
    channels: r.many.channels({ from: r.workspaces.id, to: r.channels.workspaceId }),
    contacts: r.many.contacts({ from: r.workspaces.id, to: r.contacts.workspaceId }),
    workflows: r.many.workflows({ from: r.workspaces.id, to: r.workflows.workspaceId }),
  },
  apiKeys: {
    workspace: r.one.workspaces({
      from: r.apiKeys.workspaceId,
      to: r.workspaces.id,
      optional: false,
    }),
  },
  contacts: {
    identities: r.many.contactIdentities({
      from: r.contacts.id,
      to: r.contactIdentities.contactId,
    }),
    lastInteractedChannel: r.one.channels({
      from: r.contacts.lastInteractedChannelId,
      to: r.channels.id,
    }),
  },
  contactIdentities: {
    contact: r.one.contacts({
      from: r.contactIdentities.contactId,
      to: r.contacts.id,
      optional: false,
    }),
    channel: r.one.channels({
      from: r.contactIdentities.channelId,
      to: r.channels.id,
      optional: false,
    }),
  },
  workflows: {
    steps: r.many.steps({ from: r.workflows.id, to: r.steps.workflowId }),
    entryStep: r.one.steps({ from: r.workflows.entryStepId, to: r.steps.id, alias: 'entry' }),
    versions: r.many.workflowVersions({ from: r.workflows.id, to: r.workflowVersions.workflowId }),
    publishedVersion: r.one.workflowVersions({
      from: r.workflows.publishedVersionId,
      to: r.workflowVersions.id,
    }),
    runs: r.many.runs({ from: r.workflows.id, to: r.runs.workflowId }),
  },
  steps: {
    workflow: r.one.workflows({ from: r.steps.workflowId, to: r.workflows.id, optional: false }),
    nextStep: r.one.steps({ from: r.steps.nextStepId, to: r.steps.id, alias: 'next' }),
    failureStep: r.one.steps({ from: r.steps.failureStepId, to: r.steps.id, alias: 'failure' }),
  },
  workflowVersions: {
    workflow: r.one.workflows({
      from: r.workflowVersions.workflowId,
      to: r.workflows.id,
      optional: false,
    }),
  },
  runs: {
    workflow: r.one.workflows({ from: r.runs.workflowId, to: r.workflows.id, optional: false }),
    version: r.one.workflowVersions({
      from: r.runs.versionId,
      to: r.workflowVersions.id,
      optional: false,
    }),
    contact: r.one.contacts({ from: r.runs.contactId, to: r.contacts.id, optional: false }),
    deliveries: r.many.deliveries({ from: r.runs.id, to: r.deliveries.runId }),
  },
  deliveries: {
    run: r.one.runs({ from: r.deliveries.runId, to: r.runs.id, optional: false }),
    channel: r.one.channels({ from: r.deliveries.channelId, to: r.channels.id }),
  },
  webhookEndpoints: {
    messages: r.many.webhookMessages({
      from: r.webhookEndpoints.id,
      to: r.webhookMessages.endpointId,
    }),
  },
  webhookMessages: {
    endpoint: r.one.webhookEndpoints({
      from: r.webhookMessages.endpointId,
      to: r.webhookEndpoints.id,
      optional: false,
    }),
    attemptLog: r.many.webhookAttempts({
      from: r.webhookMessages.id,
      to: r.webhookAttempts.messageId,
    }),
  },
}));

export type Relations = typeof relations;
