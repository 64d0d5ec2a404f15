import { type ChannelTemplate, templateIssues } from './channel-templates';
import type { ChannelType } from './channel-types';
import type { CaptionLimit, MediaFacts, MediaLimits } from './media-limits';
import { MAX_CONFIRM_DELIVERY_MINUTES, type SendMessageConfig, type WaitConfig } from './types';
import { validateCaptions } from './validate-captions';
import { validateContentFields, validateMessageType } from './validate-content';
import { validateMedia } from './validate-media';
import { validateMessageTexts } from './validate-texts';
import { type ValidationIssue, validationIssue } from './validation-issue';

export { MAX_EMAIL_SUBJECT_LENGTH } from './validate-texts';

/** A channel of the workspace, as step validation sees it. */
export interface LookupChannel {
  type: ChannelType;
  status: 'connected' | 'disconnected' | 'error';
  /**
   * The provider account's templates, for channels whose provider lists them (null: they
   * could not be loaded); absent for channels that send no templates.
   */
  templates?: readonly ChannelTemplate[] | null;
  /**
   * Set (with `templates` null) when the channel's provider sends templates but its templates
   * cannot be listed (Vonage): a template step cannot be checked, so it is refused.
   */
  templatesUnlisted?: boolean;
  /** The integration's media limits, when known (edge/channels/<integration>/definition.ts). */
  mediaLimits?: MediaLimits;
  /** The integration's caption limit, when it declares one (its definition.ts). */
  captionLimit?: CaptionLimit;
  /** The integration's label, for messages. */
  label?: string;
}

/** The workspace's own rows a step config may refer to (another workspace's are simply absent). */
export interface StepLookups {
  channels: ReadonlyMap<string, LookupChannel>;
  fileIds: ReadonlySet<string>;
  /** The type and size of the files in `fileIds`, for the channels' media limits. */
  files?: ReadonlyMap<string, MediaFacts>;
  snippets: ReadonlyMap<string, string>;
}

/** Longest wait: a year. */
export const MAX_WAIT_SECONDS = 365 * 24 * 60 * 60;

/** Checks a referenced channel exists in the workspace and is connected. */
function channelIssues(channelId: string, path: string, lookups: StepLookups): ValidationIssue[] {
  const channel = lookups.channels.get(channelId);
  if (!channel) {
    return [validationIssue('CHANNEL_NOT_FOUND', path, `Channel ${channelId} was not found`)];
  }
  if (channel.status !== 'connected') {
    return [
      validationIssue(
        'CHANNEL_NOT_CONNECTED',
        path,
        `Channel ${channelId} is not connected (status: ${channel.status})`,
      ),
    ];
  }
  return [];
}

function channelSelectorIssues(config: SendMessageConfig, lookups: StepLookups): ValidationIssue[] {
  const selector = config.channel;
  if (selector?.kind === 'specific') {
    return channelIssues(selector.channelId, 'channel.channelId', lookups);
  }
  if (selector?.kind === 'last_interacted') return [];
  return [
    validationIssue('INVALID_VALUE', 'channel', 'Choose a specific channel or last interacted'),
  ];
}

function defaultMessageIssues(config: SendMessageConfig, lookups: StepLookups): ValidationIssue[] {
  const message = config.defaultMessage;
  if (message?.type !== 'text' && message?.type !== 'media') {
    return [
      validationIssue(
        'UNSUPPORTED_MESSAGE_TYPE',
        'defaultMessage.type',
        'Default message must be text or media',
      ),
    ];
  }
  // A specific channel must be able to send the default message it will fall back to.
  const specificType =
    config.channel?.kind === 'specific'
      ? lookups.channels.get(config.channel.channelId)?.type
      : undefined;
  return [
    ...validateMessageType(message.type, specificType, 'defaultMessage.type'),
    ...validateContentFields(message, 'defaultMessage', lookups.fileIds),
  ];
}

function channelResponseIssues(config: SendMessageConfig, lookups: StepLookups): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  (config.channelResponses ?? []).forEach((response, index) => {
    const path = `channelResponses[${index}]`;
    const { channelId, content } = response;
    if (seen.has(channelId)) {
      issues.push(
        validationIssue(
          'DUPLICATE_CHANNEL_RESPONSE',
          `${path}.channelId`,
          `Channel ${channelId} already has a response`,
        ),
      );
    }
    seen.add(channelId);
    issues.push(...channelIssues(channelId, `${path}.channelId`, lookups));
    const channel = lookups.channels.get(channelId);
    const typeIssues = validateMessageType(content?.type, channel?.type, `${path}.content.type`);
    issues.push(...typeIssues);
    if (typeIssues.length > 0) return;
    const fieldIssues = validateContentFields(content, `${path}.content`, lookups.fileIds);
    issues.push(...fieldIssues);
    if (
      fieldIssues.length === 0 &&
      content.type === 'whatsapp_template' &&
      channel?.templatesUnlisted
    ) {
      issues.push(
        validationIssue(
          'TEMPLATES_UNAVAILABLE',
          `${path}.content.templateName`,
          `${channel.label ?? 'This channel'} templates cannot be listed yet, so a template step cannot be checked`,
        ),
      );
    } else if (
      fieldIssues.length === 0 &&
      content.type === 'whatsapp_template' &&
      channel?.templates !== undefined
    ) {
      issues.push(
        ...templateIssues(content, channel.templates, `${path}.content`, {
          files: lookups.files,
          mediaLimits: channel.mediaLimits,
          label: channel.label,
        }),
      );
    }
  });
  return issues;
}

/** A confirm-delivery wait is a whole number of minutes within one queue delay. */
function confirmDeliveryIssues(config: SendMessageConfig): ValidationIssue[] {
  const minutes = config.confirmDelivery?.timeoutMinutes;
  if (config.confirmDelivery == null) return [];
  if (Number.isInteger(minutes) && minutes! >= 1 && minutes! <= MAX_CONFIRM_DELIVERY_MINUTES) {
    return [];
  }
  return [
    validationIssue(
      'INVALID_VALUE',
      'confirmDelivery.timeoutMinutes',
      `Wait a whole number of minutes from 1 to ${MAX_CONFIRM_DELIVERY_MINUTES} for the delivery status`,
    ),
  ];
}

/**
 * Everything wrong with a Send a Message config, given the workspace's channels, files and
 * snippets: the channel, the default message, each channel response (templates against the
 * channel's own), the confirm-delivery wait, media and captions against the channel they go out
 * on when it is known, and every text (see `validateMessageTexts`). An empty list means the
 * config can be saved.
 */
export function validateSendMessageConfig(
  config: SendMessageConfig,
  lookups: StepLookups,
): ValidationIssue[] {
  return [
    ...channelSelectorIssues(config, lookups),
    ...defaultMessageIssues(config, lookups),
    ...channelResponseIssues(config, lookups),
    ...confirmDeliveryIssues(config),
    ...validateMedia(config, lookups),
    ...validateCaptions(config, lookups),
    ...validateMessageTexts(config, lookups.snippets),
  ];
}

/** Everything wrong with a Wait config: a whole number of seconds, from 1 to a year. */
export function validateWaitConfig(config: WaitConfig): ValidationIssue[] {
  const seconds = config?.seconds;
  if (Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_WAIT_SECONDS) return [];
  return [
    validationIssue(
      'INVALID_VALUE',
      'seconds',
      `Wait must be a whole number of seconds from 1 to ${MAX_WAIT_SECONDS} (365 days)`,
    ),
  ];
}

/** What `validateFailureBranch` needs to know about a step and its workflow. */
export interface FailureBranchInput {
  failureBranchEnabled: boolean;
  failureStepId: string | null;
  stepId: string;
  workflowStepIds: ReadonlySet<string>;
}

/**
 * Checks the "Add Message Failure Branch" toggle and its target: on needs a target, and a
 * target must be another step of the same workflow. A target given with the toggle off is
 * still checked, so that a step never points into another workflow.
 */
export function validateFailureBranch(input: FailureBranchInput): ValidationIssue[] {
  const { failureBranchEnabled, failureStepId, stepId, workflowStepIds } = input;
  const path = 'failureStepId';
  // Only null (or absent) means "no target": an empty id names no step, like any other id
  // that is not one of the workflow's (it would otherwise reach the uuid column and fail there).
  if (failureStepId === null || failureStepId === undefined) {
    return failureBranchEnabled
      ? [
          validationIssue(
            'FAILURE_TARGET_REQUIRED',
            path,
            'The failure branch is on: choose the step failed sends go to',
          ),
        ]
      : [];
  }
  if (failureStepId === stepId) {
    return [
      validationIssue('FAILURE_TARGET_INVALID', path, 'A step cannot be its own failure branch'),
    ];
  }
  if (!workflowStepIds.has(failureStepId)) {
    return [
      validationIssue(
        'FAILURE_TARGET_INVALID',
        path,
        failureStepId === ''
          ? 'An empty id names no step (null clears the failure target)'
          : `Step ${failureStepId} is not a step of this workflow`,
      ),
    ];
  }
  return [];
}
