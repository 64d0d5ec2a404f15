import { isBusinessScopedUserId } from '../../../workflow/contact-fields';
import { withAudioCaption } from '../audio-caption';
import { readChannel } from '../channel-config';
import type { ChannelDefinition, Fields, Parsed } from '../definition';
import { callProvider, isSuccess } from '../http/classify';
import { list, parseObject, text } from '../json-fields';
import { graphHeaders, graphUrl } from '../meta/graph';
import { classifyGraphAnswer } from '../meta/graph-errors';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  type ProviderEndpoints,
  permanentFailure,
  phoneRecipientFailure,
  type SendOutcome,
} from '../types';
import { whatsappMetaDefinition } from './definition';
import { WHATSAPP_FAILURES } from './failures';
import { whatsappMessageBody } from './message-body';

/** Who answers, in failure details. */
export const WHATSAPP_API = 'WhatsApp Cloud API';

/** Where a Cloud API send goes and how it authenticates, for one channel's settings. */
export type CloudApiRequest<S extends Fields, C extends Fields> = (
  settings: Parsed<S>,
  credentials: Parsed<C> | null,
  endpoints: ProviderEndpoints | undefined,
) => { url: string; headers: Record<string, string> };

/**
 * Sends a rendered message as a WhatsApp Cloud API message body (WhatsApp Cloud API,
 * "Messages") to wherever `request` says: Meta's Graph, or a provider that hosts the same API
 * behind its own host and key (360dialog). Answers are classified by WhatsApp's failure table
 * (the providers pass the Cloud API's errors through), then by the shared HTTP rules.
 *
 * Idempotency: the Cloud API takes no idempotency key (the "Messages" reference has no such
 * header or field), so a retry after an unknown outcome (a timeout once the request left)
 * could send twice. What Meta offers instead is `biz_opaque_callback_data`, echoed in every
 * status webhook: our delivery id rides on each send, and a `sent`/`delivered`/`read` status
 * naming a delivery that waits for its retry records it as sent (edge/callbacks/status-
 * updates.ts), so the retry (10 s later at the earliest) finds it finished and sends nothing.
 * A status slower than the retry, or a Worker dying between the answer and our record (the
 * claim's lease then expires), can still send twice.
 */
export function cloudApiAdapter<S extends Fields, C extends Fields>(options: {
  definition: ChannelDefinition<S, C>;
  who: string;
  request: CloudApiRequest<S, C>;
  /**
   * Whether a contact known by a business-scoped user ID (their identity on the channel, from
   * a username user's webhook) is sent to as `recipient` ("Business-scoped user IDs"); without
   * it, only E.164 phones are addressable.
   */
  businessScopedIds?: boolean;
}): ChannelAdapter {
  const { definition, who } = options;
  return {
    async send(message, adapterOptions) {
      const read = readChannel(definition, message.channel, adapterOptions);
      if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
      const notAddressable = phoneRecipientFailure(
        message.recipient,
        'WhatsApp',
        options.businessScopedIds
          ? { name: 'business-scoped user ID', test: isBusinessScopedUserId }
          : undefined,
      );
      if (notAddressable) return notAddressable;
      const body = whatsappMessageBody(message.rendered, message.recipient, message.deliveryId);
      if (!body.ok) return permanentFailure(body.reason ?? 'content_invalid', body.detail);

      const { url, headers } = options.request(
        read.settings,
        read.credentials,
        adapterOptions.endpoints,
      );
      const post = async (payload: Record<string, unknown>): Promise<SendOutcome> => {
        const call = await callProvider(
          url,
          { method: 'POST', headers, body: JSON.stringify(payload) },
          { who, timeoutMs: adapterOptions.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, sends: true },
        );
        if (!call.ok) return call.outcome;
        if (isSuccess(call.answer)) {
          // A 2xx means the message was accepted; statuses still find it by our delivery id.
          // The answer names the wamid: `{ messages: [{ id: "wamid…" }] }` ("Send messages").
          const wamid = text(list(parseObject(call.answer.body)?.messages)[0]?.id);
          return { status: 'sent', providerMessageId: wamid ?? message.deliveryId };
        }
        return classifyGraphAnswer(
          call.answer,
          WHATSAPP_FAILURES,
          who,
          adapterOptions.now?.() ?? new Date(),
        );
      };
      const { followUp } = body;
      return withAudioCaption(await post(body.body), followUp ? () => post(followUp.body) : null);
    },
  };
}

/**
 * Sends through Meta's WhatsApp Cloud API: `POST <GRAPH_API_URL>/<version>/<phone-number-id>/
 * messages` with the channel's bearer token (WhatsApp Cloud API, "Messages"), to a phone or to
 * a business-scoped user ID ("Business-scoped user IDs").
 */
export const whatsappMetaAdapter = cloudApiAdapter({
  definition: whatsappMetaDefinition,
  who: WHATSAPP_API,
  request: (settings, credentials, endpoints) => ({
    url: graphUrl(endpoints, `${settings.phoneNumberId}/messages`),
    headers: graphHeaders(credentials?.accessToken ?? ''),
  }),
  businessScopedIds: true,
});
