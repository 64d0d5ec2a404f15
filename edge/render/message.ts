import { CHANNEL_LABELS, canSend, MESSAGE_TYPE_LABELS } from '../../workflow/channel-capabilities';
import { TEMPLATE_MEDIA_KINDS } from '../../workflow/channel-templates';
import type { ChannelType } from '../../workflow/channel-types';
import { textToRichText } from '../../workflow/rich-text';
import { expandSnippets } from '../../workflow/snippets';
import type {
  EmailContent,
  MessageContent,
  RichTextBlock,
  TemplateHeaderMedia,
} from '../../workflow/types';
import { interpolate, type RenderContext } from '../../workflow/variables';
import { type EmailRenderOptions, renderEmail } from './email';
import { planEmailMedia } from './email-media';
import { RenderError } from './render-error';
import { messageIdFor, threadHeaders } from './thread-headers';
import type { EmailMedia, MediaFile, RenderedHeaderMedia, RenderedMessage } from './types';

/** Everything needed to render one message for one contact. */
export interface RenderMessageInput {
  content: MessageContent;
  /** The step's email subject and body; used when the channel is email. */
  email?: EmailContent | null;
  channelType: ChannelType;
  ctx: RenderContext;
  snippets: ReadonlyMap<string, string>;
  /** The workspace's files by id (only those the content refers to are needed). */
  files: ReadonlyMap<string, MediaFile>;
  /** The Message-IDs already sent in this email thread, oldest first. */
  thread?: { messageIds: string[] };
  deliveryId: string;
  /** The domain of the email Message-ID (the channel's from-address domain). */
  domain: string;
  /**
   * Names the email template for the compiled-MJML cache: `versionId:stepId`, plus the
   * channel id when the step has an email channel response, so that different contents do
   * not take turns in one slot (that would only cost recompiles, never wrong output).
   */
  templateKey?: string;
}

function renderText(text: string, input: RenderMessageInput): string {
  return interpolate(expandSnippets(text, input.snippets), input.ctx);
}

function libraryFile(fileId: string, files: ReadonlyMap<string, MediaFile>): MediaFile {
  const file = files.get(fileId);
  if (!file) throw new RenderError(`file ${fileId} is not in the workspace's library`);
  return file;
}

/** Refuses a file that must be linked but has no link (an upload where PUBLIC_URL is unset). */
function assertLinkable(file: { url: string; name?: string; fileName?: string }): void {
  if (!file.url) {
    throw new RenderError(
      `${file.name ?? file.fileName} cannot be linked: set PUBLIC_URL so that uploads can be fetched`,
    );
  }
}

/** A file a provider fetches by link. */
function linkedFile(fileId: string, files: ReadonlyMap<string, MediaFile>): MediaFile {
  const file = libraryFile(fileId, files);
  assertLinkable(file);
  return file;
}

/**
 * A template header's media: a library file goes as its signed link with its own name (as media
 * messages do), a link as written; only documents carry a file name.
 */
function headerMedia(media: TemplateHeaderMedia, input: RenderMessageInput): RenderedHeaderMedia {
  const kind = TEMPLATE_MEDIA_KINDS[media.format];
  const file = media.fileId ? linkedFile(media.fileId, input.files) : undefined;
  const fileName = file?.name ?? media.fileName ?? undefined;
  return {
    kind,
    link: file?.url ?? media.link ?? '',
    ...(kind === 'document' && fileName ? { fileName } : {}),
  };
}

/** The email body: the step's rich text, else the message content as paragraphs. */
function emailBlocks(input: RenderMessageInput): RichTextBlock[] {
  const { content, email } = input;
  if (email?.body && email.body.length > 0) return email.body;
  if (content.type === 'text') return textToRichText(content.text);
  if (content.type === 'media') return textToRichText(content.caption ?? '');
  return [];
}

/**
 * After the body: a line naming each attachment and a link for each linked file, shown as
 * written (a file name is data: `$contact.email` in one is not a variable), then the inline
 * images (added by renderEmail, after the text).
 */
function fileBlocks(media: readonly EmailMedia[]): RichTextBlock[] {
  const attached = media.filter((file) => file.disposition === 'attachment');
  const linked = media.filter((file) => file.disposition === 'link');
  const blocks: RichTextBlock[] = [];
  if (attached.length > 0) {
    const names = attached.map((file) => file.fileName).join(', ');
    blocks.push({ type: 'paragraph', spans: [{ text: `Attached: ${names}` }] });
  }
  return [
    ...blocks,
    ...linked.map(
      (file): RichTextBlock => ({
        type: 'paragraph',
        spans: [{ text: file.fileName, link: file.url }],
      }),
    ),
  ];
}

/** The files an email carries: the media message's, then the step's attachments. */
function emailFiles(input: RenderMessageInput): MediaFile[] {
  const ids = [
    ...(input.content.type === 'media' ? [input.content.fileId] : []),
    ...(input.email?.attachments ?? []),
  ];
  return [...new Set(ids)].map((id) => libraryFile(id, input.files));
}

async function renderEmailMessage(
  input: RenderMessageInput,
  options: EmailRenderOptions,
): Promise<RenderedMessage> {
  const media = planEmailMedia(emailFiles(input));
  for (const file of media) if (file.disposition === 'link') assertLinkable(file);
  let messageId: string;
  try {
    messageId = messageIdFor(input.deliveryId, input.domain);
  } catch (error) {
    throw new RenderError((error as Error).message);
  }
  const body = await renderEmail(
    {
      subject: input.email?.subject,
      body: emailBlocks(input),
      literal: fileBlocks(media),
      images: media.flatMap((file) =>
        file.disposition === 'inline' ? [{ contentId: file.contentId!, alt: file.fileName }] : [],
      ),
    },
    { ctx: input.ctx, snippets: input.snippets, templateKey: input.templateKey },
    options,
  );
  return {
    kind: 'email',
    ...body,
    headers: threadHeaders(input.thread?.messageIds ?? [], messageId),
    media,
  };
}

/**
 * Renders a message for one contact on one channel (a send's third step, after the channel and the content are picked):
 * snippets expanded, then variables interpolated (a variable with no value stays as written).
 * Email gets a subject, MJML-rendered HTML, a text part and its thread headers; other channels
 * get text, media (the file's URL), a WhatsApp template or a Messenger tagged message.
 * Throws RenderError when the content cannot be sent as configured.
 */
export async function renderMessage(
  input: RenderMessageInput,
  options: EmailRenderOptions = {},
): Promise<RenderedMessage> {
  const { content, channelType } = input;
  if (!canSend(channelType, content.type)) {
    throw new RenderError(
      `${CHANNEL_LABELS[channelType]} cannot send a ${MESSAGE_TYPE_LABELS[content.type]}`,
    );
  }
  if (channelType === 'email') return renderEmailMessage(input, options);
  switch (content.type) {
    case 'text':
      return { kind: 'text', text: renderText(content.text, input) };
    case 'media': {
      const file = linkedFile(content.fileId, input.files);
      const caption = content.caption ? renderText(content.caption, input) : undefined;
      return {
        kind: 'media',
        url: file.url,
        fileName: file.name,
        contentType: file.contentType,
        ...(caption ? { caption } : {}),
      };
    }
    case 'whatsapp_template':
      return {
        kind: 'whatsapp_template',
        templateName: content.templateName,
        languageCode: content.languageCode,
        parameters: content.parameters.map((parameter) => renderText(parameter, input)),
        ...(content.headerParameters?.length
          ? {
              headerParameters: content.headerParameters.map((parameter) =>
                renderText(parameter, input),
              ),
            }
          : {}),
        ...(content.buttonParameters?.length
          ? {
              buttonParameters: content.buttonParameters.map((button) => ({
                index: button.index,
                text: renderText(button.text, input),
              })),
            }
          : {}),
        ...(content.headerMedia ? { headerMedia: headerMedia(content.headerMedia, input) } : {}),
      };
    case 'messenger_tagged':
      return { kind: 'messenger_tagged', tag: content.tag, text: renderText(content.text, input) };
  }
}
