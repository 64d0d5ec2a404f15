import { isBusinessScopedUserId } from '../../../workflow/contact-fields';
import { withAudioCaption } from '../audio-caption';
import { readChannel } from '../channel-config';
import type { ChannelDefinition } from '../definition';
import { callProvider, isSuccess } from '../http/classify';
import { parseObject, text } from '../json-fields';
import { smsSegments } from '../sms/segments';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  permanentFailure,
  phoneRecipientFailure,
  type SendOutcome,
} from '../types';
import { VONAGE_API, vonageJwt, vonageMessagesUrl } from './api';
import type { VONAGE_CREDENTIALS, VONAGE_SETTINGS, VonageNetwork } from './definition';
import { classifyVonageAnswer } from './failures';
import { vonageMessageBody } from './message-body';

/**
 * On WhatsApp, besides a phone, a contact known by their business-scoped user ID (their identity
 * on the channel): "You can now send messages using a BSUID in addition to, or instead of, a
 * phone number" (Vonage docs, "Handling WhatsApp Usernames and BSUIDs"). SMS takes phones only.
 */
const WHATSAPP_USER_ID = { name: 'business-scoped user ID', test: isBusinessScopedUserId };

/**
 * Sends through Vonage's Messages API on `network`: `POST /v1/messages` with a fresh JWT
 * (Messages API reference, "Send a message"); a 202 with `message_uuid` means accepted.
 * Statuses and inbound messages arrive at the application's Status and Inbound URLs. The API
 * takes no idempotency key; `client_ref` (our delivery id) comes back in statuses.
 */
export function vonageAdapter(
  network: VonageNetwork,
  definition: ChannelDefinition<typeof VONAGE_SETTINGS, typeof VONAGE_CREDENTIALS>,
): ChannelAdapter {
  return {
    async send(message, options) {
      const read = readChannel(definition, message.channel, options);
      if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
      const notAddressable = phoneRecipientFailure(
        message.recipient,
        definition.label,
        network === 'whatsapp' ? WHATSAPP_USER_ID : undefined,
      );
      if (notAddressable) return notAddressable;
      const built = vonageMessageBody(
        network,
        message.rendered,
        read.settings.fromNumber,
        message.recipient,
        message.deliveryId,
      );
      if (!built.ok) return permanentFailure(built.reason ?? 'content_invalid', built.detail);
      const now = options.now?.() ?? new Date();
      const token = await vonageJwt(
        read.settings.applicationId,
        read.credentials?.privateKey ?? '',
        now,
      );
      if (!token.ok) return permanentFailure('credentials_rejected', token.detail);
      const post = async (body: Record<string, unknown>): Promise<SendOutcome> => {
        const call = await callProvider(
          vonageMessagesUrl(options.endpoints),
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token.jwt}`,
              'content-type': 'application/json',
              accept: 'application/json',
            },
            body: JSON.stringify(body),
          },
          {
            who: VONAGE_API,
            timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
            sends: true,
          },
        );
        if (!call.ok) return call.outcome;
        if (!isSuccess(call.answer)) return classifyVonageAnswer(call.answer, now);
        return {
          status: 'sent',
          providerMessageId:
            text(parseObject(call.answer.body)?.message_uuid) ?? message.deliveryId,
        };
      };
      const sent = await post(built.body);
      if (sent.status !== 'sent') return sent;
      const segments =
        built.smsText === null ? {} : { segments: smsSegments(built.smsText).segments };
      const { followUp } = built;
      return withAudioCaption(
        { ...sent, ...segments },
        followUp ? () => post(followUp.body) : null,
      );
    },
  };
}
