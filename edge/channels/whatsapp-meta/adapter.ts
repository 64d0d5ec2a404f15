import { isE164 } from '../../../workflow/contact-fields';
import { readChannel } from '../channel-config';
import { callProvider, isSuccess } from '../http/classify';
import { graphHeaders, graphUrl } from '../meta/graph';
import { classifyGraphAnswer } from '../meta/graph-errors';
import { type ChannelAdapter, DEFAULT_SEND_TIMEOUT_MS, permanentFailure } from '../types';
import { whatsappMetaDefinition } from './definition';
import { WHATSAPP_FAILURES } from './failures';
import { whatsappMessageBody } from './message-body';

/** Who answers, in failure details. */
export const WHATSAPP_API = 'WhatsApp Cloud API';

/** The wamid of a send answer: `{ messages: [{ id: "wamid…" }] }` ("Send messages", response). */
function messageId(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { messages?: { id?: unknown }[] };
    const id = parsed.messages?.[0]?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends through the WhatsApp Cloud API: `POST <GRAPH_API_URL>/<version>/<phone-number-id>/
 * messages` with the channel's bearer token (WhatsApp Cloud API, "Messages"). Answers are
 * classified by WhatsApp's failure table, then by the shared HTTP rules.
 *
 * Idempotency: the Cloud API takes no idempotency key (the "Messages" reference has no such
 * header or field), so a retry after an unknown outcome (a timeout once the request left)
 * could send twice. What Meta offers instead is `biz_opaque_callback_data`, echoed in every
 * status webhook: our delivery id rides on each send, and a `sent`/`delivered`/`read` status
 * naming a delivery that waits for its retry records it as sent (edge/callbacks/status-
 * updates.ts), so the retry (10 s later at the earliest) finds it finished and sends nothing.
 * A status slower than the retry, or a Worker dying between Meta's answer and our record (the
 * claim's lease then expires), can still send twice.
 */
export const whatsappMetaAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(whatsappMetaDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    if (!isE164(message.recipient)) {
      return permanentFailure(
        'no_associated_channel',
        'the contact has no E.164 phone number for WhatsApp',
      );
    }
    const body = whatsappMessageBody(message.rendered, message.recipient, message.deliveryId);
    if (!body.ok) return permanentFailure('content_invalid', body.detail);

    const call = await callProvider(
      graphUrl(options.endpoints, `${read.settings.phoneNumberId}/messages`),
      {
        method: 'POST',
        headers: graphHeaders(read.credentials?.accessToken ?? ''),
        body: JSON.stringify(body.body),
      },
      { who: WHATSAPP_API, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS },
    );
    if (!call.ok) return call.outcome;
    if (isSuccess(call.answer)) {
      // A 2xx means Meta accepted the message; statuses still find it by our delivery id.
      return {
        status: 'sent',
        providerMessageId: messageId(call.answer.body) ?? message.deliveryId,
      };
    }
    return classifyGraphAnswer(
      call.answer,
      WHATSAPP_FAILURES,
      WHATSAPP_API,
      options.now?.() ?? new Date(),
    );
  },
};
