import { readChannel } from '../channel-config';
import { callProvider, isSuccess } from '../http/classify';
import { type ChannelAdapter, DEFAULT_SEND_TIMEOUT_MS, permanentFailure } from '../types';
import { lineMessagingDefinition } from './definition';
import { classifyLineAnswer } from './failures';
import { lineMessages } from './message-body';
import { LINE_API, lineHeaders, lineUrl } from './messaging-api';
import { expiredRetryKey } from './retry-key';

/** A LINE user id: `U` and 32 hex digits (Messaging API reference, "Source user"). */
const USER_ID = /^U[0-9a-f]{32}$/;

/** The first sent message's id (`sentMessages[].id`, "Send push message", response). */
function sentMessageId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { sentMessages?: { id?: unknown }[] }).sentMessages?.[0]?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends with `POST /v2/bot/message/push` (Messaging API reference, "Send push message") and
 * `X-Line-Retry-Key` = our delivery id (a UUID, as "Retry failed API requests" requires): LINE
 * executes a push once per retry key, so a delivery re-sent after a timeout or a 5xx is never
 * delivered twice. A 409 on such a retry means an earlier attempt was accepted ("the retry key
 * is already accepted"): the message is sent, under the id LINE answered then (the 409 body
 * carries `sentMessages` for a push) or, failing that, the accepted request id.
 *
 * LINE remembers a retry key for 24 hours after the first request (retry-key.ts): a send whose
 * key (made at the delivery's first claim) is 23 hours old or more is not made at all, and fails
 * `network`, not retried, since an earlier attempt may have been executed and LINE would now
 * execute it again.
 */
export const lineMessagingAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(lineMessagingDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    if (!USER_ID.test(message.recipient)) {
      return permanentFailure('no_associated_channel', 'the contact has no LINE user id');
    }
    const messages = lineMessages(message.rendered);
    if (!messages.ok) return permanentFailure('content_invalid', messages.detail);
    const now = options.now?.() ?? new Date();
    const expired = expiredRetryKey(message.deliveryId, now);
    if (expired) return expired;

    const call = await callProvider(
      lineUrl(options.endpoints, '/v2/bot/message/push'),
      {
        method: 'POST',
        headers: {
          ...lineHeaders(read.credentials?.channelAccessToken ?? ''),
          'x-line-retry-key': message.deliveryId,
        },
        body: JSON.stringify({ to: message.recipient, messages: messages.messages }),
      },
      { who: LINE_API, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, sends: true },
    );
    if (!call.ok) return call.outcome;
    const { answer } = call;
    if (isSuccess(answer) || answer.status === 409) {
      const id =
        sentMessageId(answer.body) ??
        answer.headers.get('x-line-accepted-request-id') ??
        answer.headers.get('x-line-request-id') ??
        message.deliveryId;
      return answer.status === 409
        ? {
            status: 'sent',
            providerMessageId: id,
            providerDetail: 'accepted on an earlier attempt',
          }
        : { status: 'sent', providerMessageId: id };
    }
    return classifyLineAnswer(answer, options.now?.() ?? new Date());
  },
};
