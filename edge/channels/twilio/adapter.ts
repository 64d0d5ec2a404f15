import { callbackUrl } from '../callbacks';
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
} from '../types';
import { TWILIO_API, twilioAccountUrl, twilioAuthorization } from './api';
import type { TWILIO_CREDENTIALS, TWILIO_SETTINGS, TwilioNetwork } from './definition';
import { classifyTwilioAnswer } from './failures';
import { twilioMessageForm } from './message-form';

/**
 * Sends through Twilio Programmable Messaging on `network` (SMS or WhatsApp): `POST …/Accounts/
 * {AccountSid}/Messages.json` form-encoded with Basic auth ("Message resource"). A 201 means
 * Twilio queued the message; what the carrier or WhatsApp does next arrives at the status
 * callback URL we pass as `StatusCallback` (under `PUBLIC_URL`; without one, the Messaging
 * Service's own callback URL applies). The Messages resource takes no idempotency key, so a
 * delivery re-sent after a crash could arrive twice; the claim's lease keeps that rare.
 */
export function twilioAdapter(
  network: TwilioNetwork,
  definition: ChannelDefinition<typeof TWILIO_SETTINGS, typeof TWILIO_CREDENTIALS>,
): ChannelAdapter {
  return {
    async send(message, options) {
      const read = readChannel(definition, message.channel, options);
      if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
      const notPhone = phoneRecipientFailure(message.recipient, definition.label);
      if (notPhone) return notPhone;
      const statusCallback = options.callbackOrigin
        ? callbackUrl(options.callbackOrigin, definition.provider, message.channel.id)
        : null;
      const built = twilioMessageForm(
        network,
        read.settings,
        message.rendered,
        message.recipient,
        statusCallback,
      );
      if (!built.ok) return permanentFailure(built.reason ?? 'content_invalid', built.detail);
      const accountSid = read.credentials?.accountSid ?? '';
      const call = await callProvider(
        twilioAccountUrl(options.endpoints, accountSid, 'Messages.json'),
        {
          method: 'POST',
          headers: {
            authorization: twilioAuthorization(accountSid, read.credentials?.authToken ?? ''),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: built.form.toString(),
        },
        { who: TWILIO_API, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, sends: true },
      );
      if (!call.ok) return call.outcome;
      if (!isSuccess(call.answer)) {
        return classifyTwilioAnswer(call.answer, options.now?.() ?? new Date());
      }
      return {
        status: 'sent',
        // Statuses find the delivery by this SID; a 2xx without one still means it was queued.
        providerMessageId: text(parseObject(call.answer.body)?.sid) ?? message.deliveryId,
        ...(built.smsText === null ? {} : { segments: smsSegments(built.smsText).segments }),
      };
    },
  };
}
