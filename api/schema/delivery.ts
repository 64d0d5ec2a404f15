import { FAILURE_REASONS, type FailureReason } from '../../workflow/types';
import { builder } from '../builder';

/** A delivery's lifecycle (edge/dispatch records it). */
export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: {
    QUEUED: {
      value: 'queued',
      description: 'Waiting for a retry after a transient failure; `reasonCode` says which.',
    },
    SENDING: {
      value: 'sending',
      description:
        "Legacy: a delivery an older version recorded while its attempt was in flight. A delivery is now written with its first attempt's outcome, and an attempt in flight shows on its run (`Run.sendingUntil`).",
    },
    SENT: { value: 'sent', description: 'The provider accepted the message.' },
    FAILED: {
      value: 'failed',
      description:
        'Could not be sent, or the provider failed it after accepting it; `reasonCode` says why.',
    },
  } as const,
});

/** What a provider reported about a message after accepting it. */
export const ProviderStatusEnum = builder.enumType('ProviderStatus', {
  values: {
    SENT: { value: 'sent', description: 'On its way (WhatsApp: sent to WhatsApp servers).' },
    DELIVERED: { value: 'delivered', description: "Delivered to the contact's device." },
    READ: { value: 'read', description: 'Read (implies delivered).' },
    FAILED: { value: 'failed', description: 'Failed after acceptance; reasonCode says why.' },
  } as const,
});

/** Why a send failed (the README lists every reason). */
export const FailureReasonEnum = builder.enumType('FailureReason', {
  values: Object.fromEntries(
    FAILURE_REASONS.map((reason) => [reason.toUpperCase(), { value: reason }]),
  ) as { [R in FailureReason as Uppercase<R>]: { value: R } },
});

const KNOWN_REASONS: ReadonlySet<string> = new Set(FAILURE_REASONS);

/** The reason code as the enum knows it (null when none, or when written by a newer version). */
export function failureReason(code: string | null): FailureReason | null {
  return code !== null && KNOWN_REASONS.has(code) ? (code as FailureReason) : null;
}

/** One message a run's Send a Message step produced (one per step visit, retries included). */
export const DeliveryRef = builder.drizzleObject('deliveries', {
  name: 'Delivery',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the idempotency key providers receive.' }),
    runId: t.exposeID('runId'),
    stepId: t.exposeID('stepId'),
    visit: t.exposeInt('visit', { description: 'Which visit of the step (1 for the first).' }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (delivery) => delivery.status }),
    reasonCode: t.field({
      type: FailureReasonEnum,
      nullable: true,
      description: 'Why it failed; on a queued delivery, why the last attempt failed.',
      resolve: (delivery) => failureReason(delivery.reasonCode),
    }),
    reasonDetail: t.exposeString('reasonDetail', { nullable: true }),
    channelId: t.exposeID('channelId', { nullable: true }),
    channel: t.relation('channel', {
      nullable: true,
      description: 'The channel it was resolved to; null when none could be resolved.',
    }),
    recipient: t.exposeString('recipient', {
      nullable: true,
      description:
        "The address the message was sent to: the contact's email address, phone number or identity on the channel (a chat id, a page-scoped id...) as its first attempt was sent; every retry goes to the same address, even if the contact's has changed meanwhile. Null when no attempt was handed to the provider (refused before sending, or dead-lettered first), and on deliveries recorded before addresses were kept.",
    }),
    contentSummary: t.exposeString('contentSummary', {
      nullable: true,
      description: 'The start of what was sent (text, caption, or email subject and text).',
    }),
    providerMessageId: t.exposeString('providerMessageId', { nullable: true }),
    messageId: t.exposeString('messageIdHeader', {
      nullable: true,
      description: 'The email `Message-ID` (the same on every attempt).',
    }),
    attempts: t.exposeInt('attempts'),
    segments: t.exposeInt('segments', {
      nullable: true,
      description:
        'SMS segments the text was sent as (160 GSM-7 or 70 UCS-2 characters in one, 153 or 67 per part when longer); null for other channels.',
    }),
    providerStatus: t.field({
      type: ProviderStatusEnum,
      nullable: true,
      description:
        "The provider's latest news after accepting the message (status callbacks); null until the first, and for providers that send none.",
      resolve: (delivery) => delivery.providerStatus,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    sentAt: t.expose('sentAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the provider accepted the message.',
    }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
    failedAt: t.expose('failedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the provider reported a failure after accepting the message.',
    }),
  }),
});
