import { browserHtml, type RenderedMessage } from '../../edge/pipeline';
import { builder } from '../builder';
import { NotFoundError, ValidationError } from '../errors';
import { previewStep, type StepPreview } from '../runs/preview';
import { FailureReasonEnum } from './delivery';

const ContentSourceEnum = builder.enumType('ContentSource', {
  values: {
    CHANNEL_RESPONSE: { value: 'channel_response', description: "The channel's own response." },
    DEFAULT: { value: 'default', description: 'The default message.' },
  } as const,
});

const SendFailureRef = builder
  .objectRef<NonNullable<StepPreview['failure']>>('SendFailure')
  .implement({
    description: 'The failure a send would hit before reaching the provider.',
    fields: (t) => ({
      reasonCode: t.field({ type: FailureReasonEnum, resolve: (failure) => failure.reason }),
      detail: t.exposeString('detail'),
    }),
  });

type EmailMessage = Extract<RenderedMessage, { kind: 'email' }>;

const EmailPreviewRef = builder.objectRef<EmailMessage>('EmailPreview').implement({
  description: 'An email as it would be sent, with the headers that thread it.',
  fields: (t) => ({
    subject: t.exposeString('subject', { description: 'Blank when the step has none.' }),
    html: t.string({
      description:
        'Inline images point at their files (a signed link for an upload) so that a browser ' +
        'shows them; the email that is sent carries them as parts (`cid:`).',
      resolve: (email) => browserHtml(email),
    }),
    text: t.exposeString('text', { description: 'The plain-text part.' }),
    messageId: t.string({ resolve: (email) => email.headers.messageId }),
    inReplyTo: t.string({ nullable: true, resolve: (email) => email.headers.inReplyTo ?? null }),
    references: t.stringList({ resolve: (email) => email.headers.references }),
  }),
});

/** The readable text of a rendered message, whatever its kind. */
function renderedText(rendered: RenderedMessage): string | null {
  switch (rendered.kind) {
    case 'text':
    case 'messenger_tagged':
    case 'email':
      return rendered.text;
    case 'media':
      return rendered.caption ?? null;
    case 'whatsapp_template':
      return rendered.parameters.join('\n');
  }
}

const StepPreviewRef = builder.objectRef<StepPreview>('StepPreview').implement({
  description: 'What a Send a Message step would send to one contact now. Nothing is sent.',
  fields: (t) => ({
    channel: t.drizzleField({
      type: 'channels',
      nullable: true,
      description: 'The resolved channel; null when none could be resolved.',
      resolve: (query, preview, _args, ctx) =>
        preview.channelId
          ? ctx.db.query.channels.findFirst(
              query({ where: { id: preview.channelId, workspaceId: ctx.workspaceId } }),
            )
          : null,
    }),
    recipient: t.exposeString('recipient', {
      nullable: true,
      description: "The contact's address on the channel.",
    }),
    failure: t.field({
      type: SendFailureRef,
      nullable: true,
      description: 'Set when the send would fail without calling the provider.',
      resolve: (preview) => preview.failure,
    }),
    contentSource: t.field({
      type: ContentSourceEnum,
      nullable: true,
      resolve: (preview) => preview.contentSource,
    }),
    content: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The chosen content as configured (before rendering).',
      resolve: (preview) => preview.content,
    }),
    text: t.string({
      nullable: true,
      description:
        'The rendered text: message text, caption, email text part, or template parameters.',
      resolve: (preview) => (preview.rendered ? renderedText(preview.rendered) : null),
    }),
    email: t.field({
      type: EmailPreviewRef,
      nullable: true,
      resolve: (preview) => (preview.rendered?.kind === 'email' ? preview.rendered : null),
    }),
    rendered: t.field({
      type: 'JSON',
      nullable: true,
      description: "The rendered message exactly as the channel's adapter would receive it.",
      resolve: (preview) => preview.rendered,
    }),
  }),
});

builder.queryFields((t) => ({
  previewStep: t.field({
    type: StepPreviewRef,
    description:
      'Resolves and renders a draft Send a Message step for one contact, as dispatch would, ' +
      'without sending anything.',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      stepId: t.arg.id({ required: true }),
      contactId: t.arg.id({ required: true }),
      variables: t.arg({ type: 'JSON', description: 'Values for `$trigger.<name>` variables.' }),
    },
    resolve: (_root, args, ctx) =>
      previewStep(ctx, {
        stepId: String(args.stepId),
        contactId: String(args.contactId),
        variables: args.variables,
      }),
  }),
}));
