import { readChannel } from '../channel-config';
import { callProvider, isSuccess } from '../http/classify';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  permanentFailure,
  type SendOutcome,
} from '../types';
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
 *
 * A group that became a supergroup refuses the send with `parameters.migrate_to_chat_id` (Bot
 * API, "ResponseParameters": "The group has been migrated to a supergroup with the specified
 * identifier"): nothing was sent, so the message goes once more, to that chat. (The contact's
 * identity moves to the new id when Telegram's migration message reaches the webhook,
 * callbacks.ts.)
 */
export const telegramBotAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(telegramBotDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    if (!CHAT_ID.test(message.recipient)) {
      return permanentFailure('no_associated_channel', 'the contact has no Telegram chat id');
    }
    const token = read.credentials?.botToken ?? '';

    async function sendTo(chatId: string) {
      const call = telegramCall(message.rendered, chatId);
      if (!call.ok) {
        return { outcome: permanentFailure('content_invalid', call.detail), migrateTo: undefined };
      }
      const answered = await callProvider(
        telegramMethodUrl(options.endpoints, token, call.method),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(call.body),
        },
        { who: TELEGRAM_API, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, sends: true },
      );
      if (!answered.ok) return { outcome: answered.outcome, migrateTo: undefined };
      const answer = readTelegramAnswer(answered.answer.body);
      // The Bot API answers every error with its error_code as the HTTP status ("Making
      // requests"): a 2xx is the message sent, even when its body broke off (no message id).
      if (isSuccess(answered.answer) && (answer?.ok || answer === null)) {
        const outcome: SendOutcome = {
          status: 'sent',
          providerMessageId: messageIdOf(answer?.result, chatId) ?? message.deliveryId,
        };
        return { outcome, migrateTo: undefined };
      }
      const migrateTo = answer?.migrateToChatId;
      return {
        outcome: classifyTelegramAnswer(answered.answer, options.now?.() ?? new Date()),
        migrateTo:
          migrateTo !== undefined && Number.isSafeInteger(migrateTo) && String(migrateTo) !== chatId
            ? String(migrateTo)
            : undefined,
      };
    }

    const first = await sendTo(message.recipient);
    if (first.migrateTo === undefined) return first.outcome;
    const { outcome } = await sendTo(first.migrateTo);
    if (outcome.status === 'sent') {
      return {
        ...outcome,
        providerDetail: `the group ${message.recipient} is now the supergroup ${first.migrateTo}; sent there`,
      };
    }
    const movedDetail = first.outcome.status === 'failed' ? first.outcome.detail : '';
    return { ...outcome, detail: `${movedDetail}; sending there: ${outcome.detail}` };
  },
};
