import { readChannel } from '../channel-config';
import { callProvider, classifyHttpStatus, isSuccess } from '../http/classify';
import { type ChannelAdapter, DEFAULT_SEND_TIMEOUT_MS, permanentFailure } from '../types';
import { rawMessageToken, readViberAnswer, VIBER_API, viberHeaders, viberUrl } from './bot-api';
import { viberBotDefinition } from './definition';
import { classifyViberStatus } from './failures';
import { viberMessageBody } from './message-body';

/** A Viber user id: opaque base64-like text (REST Bot API, "sender.id"). */
const USER_ID = /^[A-Za-z0-9+/=_-]{1,64}$/;

/**
 * Sends with `POST /pa/send_message` (REST Bot API, "Send Message"). Viber answers HTTP 200
 * with a `status`; 0 is accepted, with the `message_token` that its delivered/seen/failed
 * callbacks name (kept as the exact digits). Viber takes no idempotency key: a delivery re-sent
 * after a crash between its answer and our record could arrive twice (the claim's lease makes
 * that rare).
 */
export const viberBotAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(viberBotDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    if (!USER_ID.test(message.recipient)) {
      return permanentFailure('no_associated_channel', 'the contact has no Viber user id');
    }
    const body = viberMessageBody(
      message.rendered,
      message.recipient,
      read.settings.senderName ?? '',
      message.deliveryId,
    );
    if (!body.ok) return permanentFailure('content_invalid', body.detail);

    const call = await callProvider(
      viberUrl(options.endpoints, 'send_message'),
      {
        method: 'POST',
        headers: viberHeaders(read.credentials?.authToken ?? ''),
        body: JSON.stringify(body.body),
      },
      { who: VIBER_API, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS },
    );
    if (!call.ok) return call.outcome;
    const now = options.now?.() ?? new Date();
    if (!isSuccess(call.answer)) return classifyHttpStatus(call.answer, VIBER_API, now);
    const answer = readViberAnswer(call.answer.body);
    if (!answer) return classifyHttpStatus({ ...call.answer, status: 502 }, VIBER_API, now);
    if (answer.status !== 0) return classifyViberStatus(answer.status, answer.statusMessage);
    const token = rawMessageToken(call.answer.body);
    return { status: 'sent', providerMessageId: token ?? message.deliveryId };
  },
};
