import { type CaptionLimit, type MediaFacts, type MediaLimits, mediaKindFor } from './media-limits';
import { expandSnippets } from './snippets';
import type { MessageContent, SendMessageConfig } from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';
import { findVariables } from './variables';

/** A channel as the caption check sees it: its integration's caption limit and media kinds. */
export interface CaptionChannel {
  /** The integration's `captionLimit`; absent when it has none (nothing is checked then). */
  captionLimit?: CaptionLimit;
  /** The integration's `mediaLimits`: which kind of media message a file goes out as. */
  mediaLimits?: MediaLimits;
  /** e.g. `WhatsApp (Meta Cloud API)`. */
  label?: string;
}

/** What the caption check reads from the workspace. */
export interface CaptionLookups {
  channels: ReadonlyMap<string, CaptionChannel>;
  files?: ReadonlyMap<string, MediaFacts>;
  snippets: ReadonlyMap<string, string>;
}

/**
 * The fewest code points `text` can have once its variables are filled in: its own text, and
 * one per variable (a variable with no value stays as written, so none is shorter than that).
 */
export function shortestFilledLength(text: string): number {
  let length = 0;
  let last = 0;
  for (const ref of findVariables(text)) {
    length += Array.from(text.slice(last, ref.start)).length + 1;
    last = ref.end;
  }
  return length + Array.from(text.slice(last)).length;
}

function captionIssues(
  content: MessageContent | undefined,
  channel: CaptionChannel | undefined,
  path: string,
  lookups: CaptionLookups,
): ValidationIssue[] {
  const limit = channel?.captionLimit;
  if (content?.type !== 'media' || !content.caption || !limit) return [];
  // A kind that takes no caption (WhatsApp audio) is sent without it.
  const file = lookups.files?.get(content.fileId);
  const kind =
    file && channel.mediaLimits ? mediaKindFor(channel.mediaLimits, file.contentType) : undefined;
  if (kind && !limit.kinds.includes(kind)) return [];
  const length = shortestFilledLength(expandSnippets(content.caption, lookups.snippets));
  if (length <= limit.maxLength) return [];
  return [
    validationIssue(
      'TEXT_TOO_LONG',
      `${path}.caption`,
      `Caption is ${length} characters with snippets expanded (variables counted as one); ${channel.label ?? 'this channel'} takes captions of at most ${limit.maxLength}`,
    ),
  ];
}

/**
 * Captions over their channel's caption limit (`captionLimit` in edge/channels/<integration>/
 * definition.ts), where the channel is known: the default message against a specific channel
 * and each channel response against its own. The default message of a Last Interacted step is
 * not checked here, as another channel may take it: the adapter checks the filled-in caption
 * of the channel a send resolves to and fails it CONTENT_INVALID without a call. Only what is
 * written counts (each variable as one character): a caption that is too long only once its
 * variables are filled in fails the same way at send time.
 */
export function validateCaptions(
  config: SendMessageConfig,
  lookups: CaptionLookups,
): ValidationIssue[] {
  const specific =
    config.channel?.kind === 'specific'
      ? lookups.channels.get(config.channel.channelId)
      : undefined;
  return [
    ...captionIssues(config.defaultMessage, specific, 'defaultMessage', lookups),
    ...(config.channelResponses ?? []).flatMap((response, index) =>
      captionIssues(
        response.content,
        lookups.channels.get(response.channelId),
        `channelResponses[${index}].content`,
        lookups,
      ),
    ),
  ];
}
