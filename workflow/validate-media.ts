import type { ChannelType } from './channel-types';
import { type MediaFacts, type MediaLimits, mediaLimitProblem } from './media-limits';
import { MAX_EMAIL_ATTACHMENTS, type MessageContent, type SendMessageConfig } from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';

/** A channel as the media check sees it: its integration's limits and its name for messages. */
export interface MediaChannel {
  type: ChannelType;
  /** The integration's `mediaLimits`; absent when unknown (nothing is checked then). */
  mediaLimits?: MediaLimits;
  /** e.g. `WhatsApp (Meta Cloud API)`. */
  label?: string;
}

/** What the media checks read from the workspace. */
export interface MediaLookups {
  channels: ReadonlyMap<string, MediaChannel>;
  /** The library's files the config names; absent ones are reported as UNKNOWN_FILE elsewhere. */
  files?: ReadonlyMap<string, MediaFacts>;
  fileIds: ReadonlySet<string>;
}

function contentMediaIssues(
  content: MessageContent | undefined,
  channel: MediaChannel | undefined,
  path: string,
  lookups: MediaLookups,
): ValidationIssue[] {
  if (content?.type !== 'media' || !channel || channel.mediaLimits === undefined) return [];
  const file = lookups.files?.get(content.fileId);
  if (!file) return [];
  const problem = mediaLimitProblem(channel.mediaLimits, file, channel.label ?? channel.type);
  return problem ? [validationIssue('MEDIA_NOT_ACCEPTED', `${path}.fileId`, problem)] : [];
}

function attachmentIssues(config: SendMessageConfig, lookups: MediaLookups): ValidationIssue[] {
  const attachments = config.email?.attachments ?? [];
  const issues: ValidationIssue[] = [];
  if (attachments.length > MAX_EMAIL_ATTACHMENTS) {
    issues.push(
      validationIssue(
        'INVALID_VALUE',
        'email.attachments',
        `An email attaches at most ${MAX_EMAIL_ATTACHMENTS} files`,
      ),
    );
  }
  attachments.forEach((fileId, index) => {
    if (!lookups.fileIds.has(fileId)) {
      issues.push(
        validationIssue(
          'UNKNOWN_FILE',
          `email.attachments[${index}]`,
          `File ${fileId} was not found`,
        ),
      );
    }
  });
  return issues;
}

/**
 * The media problems of a Send a Message config: a media message whose file its channel cannot
 * send (type or size, per the channel's `mediaLimits`) when that channel is known, the default
 * message against a specific channel and each channel response against its own, and email
 * attachments that are not in the library. Last Interacted is checked at send time instead.
 */
export function validateMedia(config: SendMessageConfig, lookups: MediaLookups): ValidationIssue[] {
  const specific =
    config.channel?.kind === 'specific'
      ? lookups.channels.get(config.channel.channelId)
      : undefined;
  return [
    ...contentMediaIssues(config.defaultMessage, specific, 'defaultMessage', lookups),
    ...(config.channelResponses ?? []).flatMap((response, index) =>
      contentMediaIssues(
        response.content,
        lookups.channels.get(response.channelId),
        `channelResponses[${index}].content`,
        lookups,
      ),
    ),
    ...attachmentIssues(config, lookups),
  ];
}
