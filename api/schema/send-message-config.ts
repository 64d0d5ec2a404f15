import type {
  ChannelResponse,
  ChannelSelector,
  ConfirmDelivery,
  EmailContent,
  SendMessageConfig,
  StepConfig,
  WaitConfig,
} from '../../workflow/types';
import { builder } from '../builder';
import { loadWorkspaceChannel } from '../workflows/record-loader';
import { ChannelRef } from './channel';
import { DefaultMessageContentRef, MessageContentRef } from './message-content';
import { RichTextBlockRef } from './rich-text';

/**
 * The stored step configs as output types. Each mirrors its input (send-message-config-input.ts)
 * so that what a client saves reads back in the same shape.
 */

export const ChannelSelectionKindEnum = builder.enumType('ChannelSelectionKind', {
  values: {
    LAST_INTERACTED: {
      value: 'last_interacted',
      description: 'The channel the contact last interacted on.',
    },
    SPECIFIC: { value: 'specific', description: 'One channel connected in the workspace.' },
  } as const,
});

const ChannelSelectionRef = builder.objectRef<ChannelSelector>('ChannelSelection').implement({
  fields: (t) => ({
    kind: t.field({ type: ChannelSelectionKindEnum, resolve: (selector) => selector.kind }),
    channelId: t.id({
      nullable: true,
      resolve: (selector) => (selector.kind === 'specific' ? selector.channelId : null),
    }),
    channel: t.field({
      type: ChannelRef,
      nullable: true,
      description: 'The specific channel; null for LAST_INTERACTED or once it is deleted.',
      resolve: (selector, _args, ctx) =>
        selector.kind === 'specific' ? loadWorkspaceChannel(ctx, selector.channelId) : null,
    }),
  }),
});

const ChannelResponseRef = builder.objectRef<ChannelResponse>('ChannelResponse').implement({
  description: 'Content sent instead of the default message when the send goes out on `channel`.',
  fields: (t) => ({
    channelId: t.exposeID('channelId'),
    channel: t.field({
      type: ChannelRef,
      nullable: true,
      description: 'Null once the channel is deleted.',
      resolve: (response, _args, ctx) => loadWorkspaceChannel(ctx, response.channelId),
    }),
    content: t.field({ type: MessageContentRef, resolve: (response) => response.content }),
  }),
});

const EmailContentRef = builder.objectRef<EmailContent>('EmailContent').implement({
  description: 'Used when the message goes out on an e-mail channel.',
  fields: (t) => ({
    subject: t.string({
      nullable: true,
      description: 'Blank when absent. May contain variables.',
      resolve: (email) => email.subject ?? null,
    }),
    body: t.field({
      type: [RichTextBlockRef],
      nullable: true,
      description: 'When absent, the chosen message content is the body.',
      resolve: (email) => email.body ?? null,
    }),
    attachments: t.idList({
      description: 'Library files attached to the email.',
      resolve: (email) => email.attachments ?? [],
    }),
  }),
});

const ConfirmDeliveryRef = builder.objectRef<ConfirmDelivery>('ConfirmDelivery').implement({
  description:
    "The step waits for the provider's delivered or failed status, at most timeoutMinutes; no status in time counts as sent.",
  fields: (t) => ({ timeoutMinutes: t.exposeInt('timeoutMinutes') }),
});

export const SendMessageConfigRef = builder
  .objectRef<SendMessageConfig>('SendMessageConfig')
  .implement({
    fields: (t) => ({
      channel: t.field({ type: ChannelSelectionRef, resolve: (config) => config.channel }),
      defaultMessage: t.field({
        type: DefaultMessageContentRef,
        resolve: (config) => config.defaultMessage,
      }),
      channelResponses: t.field({
        type: [ChannelResponseRef],
        resolve: (config) => config.channelResponses ?? [],
      }),
      email: t.field({
        type: EmailContentRef,
        nullable: true,
        resolve: (config) => config.email ?? null,
      }),
      failureBranchEnabled: t.boolean({
        description:
          'On: a failed send routes the contact to the failure step. Off: the contact exits.',
        resolve: (config) => config.failureBranchEnabled,
      }),
      confirmDelivery: t.field({
        type: ConfirmDeliveryRef,
        nullable: true,
        description: 'Null when the step routes as soon as the provider accepts the message.',
        resolve: (config) => config.confirmDelivery ?? null,
      }),
    }),
  });

export const WaitConfigRef = builder.objectRef<WaitConfig>('WaitConfig').implement({
  fields: (t) => ({ seconds: t.exposeInt('seconds') }),
});

/** A step's config in a published version, where steps are plain JSON rather than rows. */
export const StepConfigRef = builder.unionType('StepConfig', {
  types: [SendMessageConfigRef, WaitConfigRef],
  resolveType: (config: StepConfig) => ('seconds' in config ? 'WaitConfig' : 'SendMessageConfig'),
});
