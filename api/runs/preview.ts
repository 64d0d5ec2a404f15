import { eq } from 'drizzle-orm';
import { workspaces } from '../../db/schema';
import { previewSend, type RenderedMessage } from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import { isSendMessageStep } from '../../workflow/steps';
import type { FailureReason, GraphStep, MessageContent } from '../../workflow/types';
import type { ApiContext } from '../context';
import { NotFoundError } from '../errors';
import { IssueList } from '../validation';
import { parseTriggerVariables } from './trigger-variables';

/**
 * Stands in for the delivery id in a preview's Message-ID: nothing is sent, so no delivery
 * exists, and a fixed value keeps previews reproducible.
 */
export const PREVIEW_DELIVERY_ID = 'preview';

/** What a step would send to one contact, or the failure it would hit. */
export interface StepPreview {
  channelId: string | null;
  recipient: string | null;
  failure: { reason: FailureReason; detail: string } | null;
  contentSource: 'channel_response' | 'default' | null;
  content: MessageContent | null;
  rendered: RenderedMessage | null;
}

export interface PreviewStepInput {
  stepId: string;
  contactId: string;
  variables?: unknown;
}

/**
 * Resolves and renders a draft Send a Message step for one contact exactly as dispatch would
 * (edge/dispatch/prepare.ts: channel, content, messaging window, rendering, email thread
 * headers from the contact's thread in this workflow) and sends nothing.
 */
export async function previewStep(ctx: ApiContext, input: PreviewStepInput): Promise<StepPreview> {
  const [step, contact] = await Promise.all([
    isUuid(input.stepId)
      ? ctx.db.query.steps.findFirst({ where: { id: input.stepId, workspaceId: ctx.workspaceId } })
      : undefined,
    isUuid(input.contactId)
      ? ctx.db.query.contacts.findFirst({
          where: { id: input.contactId, workspaceId: ctx.workspaceId },
          with: { identities: true },
        })
      : undefined,
  ]);
  if (!step) throw new NotFoundError('Step', String(input.stepId));
  if (!contact) throw new NotFoundError('Contact', String(input.contactId));
  // Draft configs are validated when they are written, so they have the published shape.
  const draft = step as unknown as GraphStep;
  const sendStep = isSendMessageStep(draft) ? draft : undefined;
  const issues = new IssueList();
  if (!sendStep) {
    issues.add('INVALID_VALUE', 'stepId', 'Only Send a Message steps can be previewed');
  }
  const trigger = parseTriggerVariables(input.variables, issues);
  issues.throwIfAny();
  const { config } = sendStep!;

  const [workspace] = await ctx.db
    .select({ timezone: workspaces.timezone })
    .from(workspaces)
    .where(eq(workspaces.id, ctx.workspaceId));
  const { identities, ...fields } = contact;
  const prepared = await previewSend(ctx.db, {
    config,
    workspaceId: ctx.workspaceId,
    workflowId: step.workflowId,
    contact: fields,
    identities,
    ctx: { contact: fields, trigger, now: new Date(), timezone: workspace?.timezone ?? 'UTC' },
    deliveryId: PREVIEW_DELIVERY_ID,
    mediaLinks: ctx.mediaLinks,
  });
  if (!prepared.ok) {
    return {
      channelId: prepared.channel?.id ?? null,
      recipient: null,
      failure: { reason: prepared.reason, detail: prepared.detail },
      contentSource: prepared.source ?? null,
      content: prepared.content ?? null,
      rendered: null,
    };
  }
  return {
    channelId: prepared.channel.id,
    recipient: prepared.recipient,
    failure: null,
    contentSource: prepared.source,
    content: prepared.content,
    rendered: prepared.rendered,
  };
}
