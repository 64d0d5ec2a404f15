import { builder } from '../builder';
import {
  type ConversationMessage,
  type ConversationPage,
  conversationPage,
} from '../contacts/conversation';
import { loadWorkspaceChannel } from '../workflows/record-loader';
import { ChannelRef } from './channel';
import { DeliveryStatusEnum, FailureReasonEnum, failureReason } from './delivery';

const DirectionEnum = builder.enumType('MessageDirection', {
  values: {
    INBOUND: { value: 'inbound', description: 'The contact wrote to us.' },
    OUTBOUND: { value: 'outbound', description: 'A run sent it to the contact.' },
  } as const,
});

const InboundKindEnum = builder.enumType('InboundMessageKind', {
  values: {
    TEXT: { value: 'text' },
    MEDIA: { value: 'media', description: 'An image, video, audio, document or sticker.' },
    OTHER: { value: 'other', description: 'A location, a button reply, a reaction…' },
  } as const,
});

const ConversationMessageRef = builder
  .objectRef<ConversationMessage>('ConversationMessage')
  .implement({
    description: 'One message between a contact and the workspace, in either direction.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'The inbound message id, or the delivery id.' }),
      direction: t.field({ type: DirectionEnum, resolve: (message) => message.direction }),
      at: t.expose('at', {
        type: 'DateTime',
        description: 'When the contact sent it, or when the provider accepted ours.',
      }),
      channel: t.field({
        type: ChannelRef,
        nullable: true,
        resolve: (message, _args, ctx) => loadWorkspaceChannel(ctx, message.channelId),
      }),
      text: t.exposeString('text', {
        nullable: true,
        description: 'The text, the caption or file name, or what was sent (a summary).',
      }),
      kind: t.field({
        type: InboundKindEnum,
        nullable: true,
        description: 'Inbound only.',
        resolve: (message) => message.kind,
      }),
      status: t.field({
        type: DeliveryStatusEnum,
        nullable: true,
        description: 'Outbound only: SENT, or FAILED (also when the provider failed it later).',
        resolve: (message) => message.status,
      }),
      providerStatus: t.exposeString('providerStatus', {
        nullable: true,
        description: "Outbound only: the provider's latest news (sent, delivered, read, failed).",
      }),
      reasonCode: t.field({
        type: FailureReasonEnum,
        nullable: true,
        resolve: (message) => failureReason(message.reasonCode),
      }),
      runId: t.exposeID('runId', { nullable: true, description: 'Outbound only.' }),
    }),
  });

const ConversationPageRef = builder.objectRef<ConversationPage>('ConversationPage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [ConversationMessageRef], resolve: (page) => page.nodes }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'Pass as `after` for the next (older) page.',
    }),
  }),
});

builder.drizzleObjectField('contacts', 'conversation', (t) =>
  t.field({
    type: ConversationPageRef,
    description:
      'Inbound and outbound messages with this contact on every channel, newest first (at most 100 per page).',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (contact, args, ctx) => conversationPage(ctx, contact.id, args),
  }),
);
