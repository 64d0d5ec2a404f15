import { readChannel } from '../channel-config';
import { callProvider, isSuccess } from '../http/classify';
import { type ChannelAdapter, DEFAULT_SEND_TIMEOUT_MS, permanentFailure } from '../types';
import { readTelegramAnswer, TELEGRAM_API, telegramMethodUrl } from './bot-api';
import { telegramBotDefinition } from './definition';
import { classifyTelegramAnswer } from './failures';
import { telegramCall } from './message-body';

/** A Telegram chat id: an integer, negative for groups (Bot API, "Chat": `id`). */
const CHAT_ID = /^-?\d{1,32}$/;

/** `<chat id>:<message id>`: message ids are unique only within a chat (Bot API, "Message"). */
function messageIdOf(result: unknown, chatId: string): string | undefined {
  const id = (result as { message_id?: unknown } | null)?.message_id;
  return typeof id === 'number' ? `${chatId}:${id}` : undefined;
}

/**
 * Sends through the Telegram Bot API with the channel's bot token (see message-body.ts for
 * the methods). The Bot API takes no idempotency key: a delivery re-sent after a crash between
 * Telegram's answer and our record could arrive twice, which the delivery claim's lease makes
 * rare. Telegram has no delivery receipts, so an accepted message stays `sent`.
 */
export const telegramBotAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(telegramBotDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    if (!CHAT_ID.test(message.recipient)) {
      return permanentFailure('no_associated_channel', 'the contact has no Telegram chat id');
    }
    const call = telegramCall(message.rendered, message.recipient);
    if (!call.ok) return permanentFailure('content_invalid', call.detail);

    const answered = await callProvider(
      telegramMethodUrl(options.endpoints, read.credentials?.botToken ?? '', call.method),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(call.body),
      },
      { who: TELEGRAM_API, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS },
    );
    if (!answered.ok) return answered.outcome;
    const answer = readTelegramAnswer(answered.answer.body);
    if (isSuccess(answered.answer) && answer?.ok) {
      return {
        status: 'sent',
        providerMessageId: messageIdOf(answer.result, message.recipient) ?? message.deliveryId,
      };
    }
    return classifyTelegramAnswer(answered.answer, options.now?.() ?? new Date());
  },
};
