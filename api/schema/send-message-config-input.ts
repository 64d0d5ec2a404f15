import { builder } from '../builder';
import { MessengerTagEnum, TemplateMediaFormatEnum } from './message-content';
import { RichTextBlockInput } from './rich-text';
import { ChannelSelectionKindEnum } from './send-message-config';

/**
 * The typed input for a Send a Message step's config. Inputs marked "exactly one of" are
 * checked by api/workflows/config-input.ts, which also turns them into the stored shape.
 */

const ChannelSelectionInput = builder.inputType('ChannelSelectionInput', {
  fields: (t) => ({
    kind: t.field({ type: ChannelSelectionKindEnum, required: true }),
    channelId: t.id({ description: 'Required when kind is SPECIFIC.' }),
  }),
});

const MediaInput = builder.inputType('MediaInput', {
  description: 'A file from the workspace library.',
  fields: (t) => ({
    fileId: t.id({ required: true }),
    caption: t.string(),
  }),
});

const DefaultMessageInput = builder.inputType('DefaultMessageInput', {
  description: 'Exactly one of `text` or `media`.',
  fields: (t) => ({
    text: t.string({ description: 'At most 2,000 characters with snippets expanded.' }),
    media: t.field({ type: MediaInput }),
  }),
});

const TemplateButtonParameterInput = builder.inputType('TemplateButtonParameterInput', {
  fields: (t) => ({
    index: t.int({ required: true, description: "The button's position in the template, from 0." }),
    text: t.string({ required: true, description: 'Completes the URL; may use variables.' }),
  }),
});

const TemplateHeaderMediaInput = builder.inputType('TemplateHeaderMediaInput', {
  description:
    "The media of a template's IMAGE, VIDEO or DOCUMENT header: exactly one of `fileId` (a library file) and `link` (an https URL the provider fetches).",
  fields: (t) => ({
    format: t.field({
      type: TemplateMediaFormatEnum,
      required: true,
      description: "The template's header format.",
    }),
    fileId: t.id(),
    link: t.string(),
    fileName: t.string({ description: 'The name a linked DOCUMENT shows.' }),
  }),
});

const WhatsAppTemplateInput = builder.inputType('WhatsAppTemplateInput', {
  fields: (t) => ({
    templateName: t.string({ required: true }),
    languageCode: t.string({ required: true, description: 'e.g. `en` or `en_US`.' }),
    parameters: t.stringList({ description: 'Body parameters in order: {{1}}, {{2}}…' }),
    headerParameters: t.stringList({
      description: "Text header parameters in order (the header's {{1}}), when it has any.",
    }),
    buttonParameters: t.field({
      type: [TemplateButtonParameterInput],
      description: 'The variable end of each dynamic URL button, by its position (0-based).',
    }),
    headerMedia: t.field({
      type: TemplateHeaderMediaInput,
      description: 'The header media, when the template has an IMAGE, VIDEO or DOCUMENT header.',
    }),
  }),
});

const MessengerTaggedInput = builder.inputType('MessengerTaggedInput', {
  fields: (t) => ({
    tag: t.field({ type: MessengerTagEnum, required: true }),
    text: t.string({ required: true }),
  }),
});

const ChannelResponseInput = builder.inputType('ChannelResponseInput', {
  description:
    'Content for one channel: exactly one of `text`, `media`, `whatsappTemplate`, `messengerTagged`.',
  fields: (t) => ({
    channelId: t.id({ required: true }),
    text: t.string(),
    media: t.field({ type: MediaInput }),
    whatsappTemplate: t.field({ type: WhatsAppTemplateInput }),
    messengerTagged: t.field({ type: MessengerTaggedInput }),
  }),
});

const EmailContentInput = builder.inputType('EmailContentInput', {
  fields: (t) => ({
    subject: t.string({ description: 'A blank subject is sent when absent.' }),
    body: t.field({ type: [RichTextBlockInput] }),
    attachments: t.idList({
      description:
        'Library files attached to the email (at most 10); images show inline. Past the size cap, they are sent as links.',
    }),
  }),
});

const ConfirmDeliveryInput = builder.inputType('ConfirmDeliveryInput', {
  fields: (t) => ({
    timeoutMinutes: t.int({
      required: true,
      description: 'How long to wait for the delivered/failed status: 1 to 720 minutes.',
    }),
  }),
});

export const SendMessageConfigInput = builder.inputType('SendMessageConfigInput', {
  fields: (t) => ({
    channel: t.field({ type: ChannelSelectionInput, required: true }),
    defaultMessage: t.field({ type: DefaultMessageInput, required: true }),
    channelResponses: t.field({ type: [ChannelResponseInput] }),
    email: t.field({ type: EmailContentInput }),
    failureBranchEnabled: t.boolean({
      description: 'Add Message Failure Branch: needs the step to have a failureStepId.',
    }),
    confirmDelivery: t.field({
      type: ConfirmDeliveryInput,
      description:
        "Route on the provider's delivered/failed status instead of its acceptance (off when omitted). Channels without delivery receipts route on acceptance.",
    }),
  }),
});
