import {
  type DefaultMessage,
  MESSENGER_TAGS,
  type MediaContent,
  type MessageContent,
  type MessengerTaggedContent,
  TEMPLATE_MEDIA_FORMATS,
  type TemplateButtonParameter,
  type TemplateHeaderMedia,
  type TextContent,
  type WhatsAppTemplateContent,
} from '../../workflow/types';
import { builder } from '../builder';
import { loadWorkspaceFile } from '../workflows/record-loader';
import { FileRef } from './file';

/**
 * Message contents as stored in a Send a Message config (workflow/types.ts), one GraphQL type
 * per content type, and the unions a default message and a channel response may hold.
 */

export const MessengerTagEnum = builder.enumType('MessengerTag', {
  description: 'Messenger message tags: allowed outside the 24-hour window for their purpose.',
  values: MESSENGER_TAGS,
});

export const TextMessageRef = builder.objectRef<TextContent>('TextMessage').implement({
  description: 'Text with optional `$variables` and `$snippet.<name>` references.',
  fields: (t) => ({ text: t.exposeString('text') }),
});

export const MediaMessageRef = builder.objectRef<MediaContent>('MediaMessage').implement({
  description: 'A file from the workspace library, with an optional caption.',
  fields: (t) => ({
    fileId: t.exposeID('fileId'),
    file: t.field({
      type: FileRef,
      nullable: true,
      description: 'Null when the file has since been deleted from the library.',
      resolve: (media, _args, ctx) => loadWorkspaceFile(ctx, media.fileId),
    }),
    caption: t.string({ nullable: true, resolve: (media) => media.caption ?? null }),
  }),
});

const TemplateButtonParameterRef = builder
  .objectRef<TemplateButtonParameter>('TemplateButtonParameter')
  .implement({
    description: 'The text that completes a dynamic URL button of a template.',
    fields: (t) => ({ index: t.exposeInt('index'), text: t.exposeString('text') }),
  });

export const TemplateMediaFormatEnum = builder.enumType('TemplateMediaFormat', {
  description: "The format of a WhatsApp template's media header.",
  values: TEMPLATE_MEDIA_FORMATS,
});

const TemplateHeaderMediaRef = builder
  .objectRef<TemplateHeaderMedia>('TemplateHeaderMedia')
  .implement({
    description:
      "The media a template's IMAGE, VIDEO or DOCUMENT header shows: a library file or a link.",
    fields: (t) => ({
      format: t.field({ type: TemplateMediaFormatEnum, resolve: (media) => media.format }),
      fileId: t.id({ nullable: true, resolve: (media) => media.fileId ?? null }),
      file: t.field({
        type: FileRef,
        nullable: true,
        description: 'Null for a link, or when the file has since been deleted from the library.',
        resolve: (media, _args, ctx) =>
          media.fileId ? loadWorkspaceFile(ctx, media.fileId) : null,
      }),
      link: t.string({ nullable: true, resolve: (media) => media.link ?? null }),
      fileName: t.string({ nullable: true, resolve: (media) => media.fileName ?? null }),
    }),
  });

export const WhatsAppTemplateMessageRef = builder
  .objectRef<WhatsAppTemplateContent>('WhatsAppTemplateMessage')
  .implement({
    description: 'A pre-approved WhatsApp template with its body parameters ({{1}}, {{2}}…).',
    fields: (t) => ({
      templateName: t.exposeString('templateName'),
      languageCode: t.exposeString('languageCode'),
      parameters: t.exposeStringList('parameters'),
      headerParameters: t.stringList({
        resolve: (content) => content.headerParameters ?? [],
      }),
      buttonParameters: t.field({
        type: [TemplateButtonParameterRef],
        resolve: (content) => content.buttonParameters ?? [],
      }),
      headerMedia: t.field({
        type: TemplateHeaderMediaRef,
        nullable: true,
        resolve: (content) => content.headerMedia ?? null,
      }),
    }),
  });

export const MessengerTaggedMessageRef = builder
  .objectRef<MessengerTaggedContent>('MessengerTaggedMessage')
  .implement({
    description: 'A Messenger message sent with a message tag.',
    fields: (t) => ({
      tag: t.field({ type: MessengerTagEnum, resolve: (content) => content.tag }),
      text: t.exposeString('text'),
    }),
  });

const CONTENT_TYPE_NAMES = {
  text: 'TextMessage',
  media: 'MediaMessage',
  whatsapp_template: 'WhatsAppTemplateMessage',
  messenger_tagged: 'MessengerTaggedMessage',
} as const satisfies Record<MessageContent['type'], string>;

export const DefaultMessageContentRef = builder.unionType('DefaultMessageContent', {
  description: 'What a default message holds: text or media.',
  types: [TextMessageRef, MediaMessageRef],
  resolveType: (content: DefaultMessage) => CONTENT_TYPE_NAMES[content.type],
});

export const MessageContentRef = builder.unionType('MessageContent', {
  description: 'What a channel response holds; special types only on the channels that send them.',
  types: [TextMessageRef, MediaMessageRef, WhatsAppTemplateMessageRef, MessengerTaggedMessageRef],
  resolveType: (content: MessageContent) => CONTENT_TYPE_NAMES[content.type],
});
