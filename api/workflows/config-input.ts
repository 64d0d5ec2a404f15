import { MAX_EMAIL_BODY_BLOCKS } from '../../workflow/email-body-limits';
import {
  type ChannelResponse,
  type ChannelSelector,
  type DefaultMessage,
  type EmailContent,
  MAX_EMAIL_ATTACHMENTS,
  type MessageContent,
  type MessengerTag,
  type RichTextBlock,
  type RichTextSpan,
  type SendMessageConfig,
  type TemplateHeaderMedia,
  type TemplateMediaFormat,
} from '../../workflow/types';
import { ValidationError } from '../errors';
import { IssueList } from '../validation';

/**
 * Turns the GraphQL Send a Message inputs into the stored shapes of workflow/types.ts. GraphQL
 * has no tagged unions for inputs, so "exactly one of" inputs (a default message is text or
 * media) are checked here and reported as INVALID_VALUE at their path.
 */

type Maybe<T> = T | null | undefined;

export interface MediaInput {
  fileId: string | number;
  caption?: Maybe<string>;
}

export interface ChannelSelectionInput {
  kind: ChannelSelector['kind'];
  channelId?: Maybe<string | number>;
}

export interface DefaultMessageInput {
  text?: Maybe<string>;
  media?: Maybe<MediaInput>;
}

export interface ChannelResponseInput extends DefaultMessageInput {
  channelId: string | number;
  whatsappTemplate?: Maybe<{
    templateName: string;
    languageCode: string;
    parameters?: Maybe<string[]>;
    headerParameters?: Maybe<string[]>;
    buttonParameters?: Maybe<{ index: number; text: string }[]>;
    headerMedia?: Maybe<{
      format: TemplateMediaFormat;
      fileId?: Maybe<string | number>;
      link?: Maybe<string>;
      fileName?: Maybe<string>;
    }>;
  }>;
  messengerTagged?: Maybe<{ tag: MessengerTag; text: string }>;
}

export interface RichTextSpanInput {
  text: string;
  bold?: Maybe<boolean>;
  italic?: Maybe<boolean>;
  underline?: Maybe<boolean>;
  link?: Maybe<string>;
}

export interface RichTextBlockInput {
  type: RichTextBlock['type'];
  level?: Maybe<number>;
  ordered?: Maybe<boolean>;
  spans?: Maybe<RichTextSpanInput[]>;
  items?: Maybe<RichTextSpanInput[][]>;
}

export interface SendMessageConfigInput {
  channel: ChannelSelectionInput;
  defaultMessage: DefaultMessageInput;
  channelResponses?: Maybe<ChannelResponseInput[]>;
  email?: Maybe<{
    subject?: Maybe<string>;
    body?: Maybe<RichTextBlockInput[]>;
    attachments?: Maybe<(string | number)[]>;
  }>;
  failureBranchEnabled?: Maybe<boolean>;
  confirmDelivery?: Maybe<{ timeoutMinutes: number }>;
}

const HEADING_LEVELS = [1, 2, 3] as const;

function isSet<T>(value: Maybe<T>): value is T {
  return value !== null && value !== undefined;
}

function toChannel(input: ChannelSelectionInput, issues: IssueList): ChannelSelector {
  if (input.kind === 'last_interacted') return { kind: 'last_interacted' };
  if (!isSet(input.channelId) || String(input.channelId) === '') {
    issues.add('INVALID_VALUE', 'channel.channelId', 'A SPECIFIC channel needs a channelId');
  }
  return { kind: 'specific', channelId: String(input.channelId ?? '') };
}

function toMedia(media: MediaInput): MessageContent {
  return { type: 'media', fileId: String(media.fileId), caption: media.caption || null };
}

/** A template's header media as stored: only the fields given (exactly one source is checked later). */
function toHeaderMedia(
  media: NonNullable<NonNullable<ChannelResponseInput['whatsappTemplate']>['headerMedia']>,
): TemplateHeaderMedia {
  return {
    format: media.format,
    ...(isSet(media.fileId) ? { fileId: String(media.fileId) } : {}),
    ...(isSet(media.link) ? { link: media.link } : {}),
    ...(isSet(media.fileName) ? { fileName: media.fileName } : {}),
  };
}

/** The one content an "exactly one of" input holds, or null after recording why not. */
function toContent(
  input: ChannelResponseInput | DefaultMessageInput,
  path: string,
  issues: IssueList,
): MessageContent | null {
  const response = input as ChannelResponseInput;
  const given = [
    isSet(input.text) && ({ type: 'text', text: input.text } as const),
    isSet(input.media) && toMedia(input.media),
    isSet(response.whatsappTemplate) &&
      ({
        type: 'whatsapp_template',
        templateName: response.whatsappTemplate.templateName,
        languageCode: response.whatsappTemplate.languageCode,
        parameters: response.whatsappTemplate.parameters ?? [],
        ...(response.whatsappTemplate.headerParameters?.length
          ? { headerParameters: response.whatsappTemplate.headerParameters }
          : {}),
        ...(response.whatsappTemplate.buttonParameters?.length
          ? {
              buttonParameters: response.whatsappTemplate.buttonParameters.map((button) => ({
                index: button.index,
                text: button.text,
              })),
            }
          : {}),
        ...(response.whatsappTemplate.headerMedia
          ? { headerMedia: toHeaderMedia(response.whatsappTemplate.headerMedia) }
          : {}),
      } as const),
    isSet(response.messengerTagged) &&
      ({
        type: 'messenger_tagged',
        tag: response.messengerTagged.tag,
        text: response.messengerTagged.text,
      } as const),
  ].filter((content): content is MessageContent => content !== false);
  if (given.length !== 1) {
    issues.add('INVALID_VALUE', path, `Set exactly one kind of content (got ${given.length})`);
    return null;
  }
  return given[0]!;
}

function toSpans(spans: RichTextSpanInput[]): RichTextSpan[] {
  return spans.map((span) => ({
    text: span.text,
    ...(span.bold ? { bold: true } : {}),
    ...(span.italic ? { italic: true } : {}),
    ...(span.underline ? { underline: true } : {}),
    ...(span.link ? { link: span.link } : {}),
  }));
}

function toBlock(block: RichTextBlockInput, path: string, issues: IssueList): RichTextBlock {
  if (block.type === 'list') {
    if (!isSet(block.items) || isSet(block.spans)) {
      issues.add('INVALID_VALUE', path, 'A list block has `items` and no `spans`');
    }
    return {
      type: 'list',
      ordered: block.ordered ?? false,
      items: (block.items ?? []).map(toSpans),
    };
  }
  if (!isSet(block.spans) || isSet(block.items)) {
    issues.add('INVALID_VALUE', path, `A ${block.type} block has \`spans\` and no \`items\``);
  }
  const spans = toSpans(block.spans ?? []);
  if (block.type === 'paragraph') return { type: 'paragraph', spans };
  const level = HEADING_LEVELS.find((candidate) => candidate === block.level);
  if (!level) issues.add('INVALID_VALUE', `${path}.level`, 'Heading level must be 1, 2 or 3');
  return { type: 'heading', level: level ?? 1, spans };
}

function toEmail(input: NonNullable<SendMessageConfigInput['email']>, issues: IssueList) {
  const email: EmailContent = { subject: input.subject ?? null, body: null };
  if (isSet(input.body) && input.body.length > MAX_EMAIL_BODY_BLOCKS) {
    // One issue for the whole body, as the body's own checks give it (email-body-limits.ts),
    // rather than one for each malformed block of a list refused anyway.
    issues.add(
      'INVALID_VALUE',
      'email.body',
      `An e-mail body holds at most ${MAX_EMAIL_BODY_BLOCKS} blocks (${input.body.length} given)`,
    );
  } else if (isSet(input.body)) {
    email.body = input.body.map((block, index) => toBlock(block, `email.body[${index}]`, issues));
  }
  if (isSet(input.attachments) && input.attachments.length > MAX_EMAIL_ATTACHMENTS) {
    // Too many is one issue, before any is looked at: checking each (for duplicates here, in the
    // library later) made one request of tens of thousands cost a reply as long and seconds of
    // CPU, for a list refused anyway.
    issues.add(
      'INVALID_VALUE',
      'email.attachments',
      `An email attaches at most ${MAX_EMAIL_ATTACHMENTS} files`,
    );
  } else if (isSet(input.attachments) && input.attachments.length > 0) {
    // Kept as given, so that every issue's path indexes the list the client sent.
    const ids = input.attachments.map(String);
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) {
        issues.add('INVALID_VALUE', `email.attachments[${index}]`, 'This file is attached already');
      }
    });
    email.attachments = ids;
  }
  return email;
}

/**
 * The stored config for a Send a Message input. Throws a ValidationError (INVALID_VALUE) when
 * the input's shape is wrong, with paths starting with `pathPrefix` (where the config sits in
 * the mutation's input); what it refers to is checked afterwards by `validateSendMessageConfig`
 * against the workspace's rows.
 */
export function toSendMessageConfig(
  input: SendMessageConfigInput,
  pathPrefix = '',
): SendMessageConfig {
  const issues = new IssueList();
  const channel = toChannel(input.channel, issues);
  const defaultMessage = toContent(input.defaultMessage, 'defaultMessage', issues);
  const channelResponses: ChannelResponse[] = [];
  (input.channelResponses ?? []).forEach((response, index) => {
    const content = toContent(response, `channelResponses[${index}]`, issues);
    if (content) channelResponses.push({ channelId: String(response.channelId), content });
  });
  const email = isSet(input.email) ? toEmail(input.email, issues) : null;
  if (issues.issues.length > 0) {
    throw new ValidationError(
      issues.issues.map((issue) => ({ ...issue, path: `${pathPrefix}${issue.path}` })),
    );
  }
  return {
    channel,
    // DefaultMessageInput only has `text` and `media`, so the one content set is one of those.
    defaultMessage: defaultMessage as DefaultMessage,
    channelResponses,
    email,
    failureBranchEnabled: input.failureBranchEnabled ?? false,
    ...(isSet(input.confirmDelivery)
      ? { confirmDelivery: { timeoutMinutes: input.confirmDelivery.timeoutMinutes } }
      : {}),
  };
}
