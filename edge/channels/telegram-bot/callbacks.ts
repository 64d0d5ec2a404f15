import { constantTimeEqual } from '../../../db/encoding';
import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent } from '../events';
import { displayName, isoFromEpoch, type Json, object, parseObject, text } from '../json-fields';

/**
 * Telegram webhooks (Bot API, "setWebhook", "Update"): one `Update` per POST, carrying
 * `X-Telegram-Bot-Api-Secret-Token` with the `secret_token` we set when connecting (the
 * channel's callback token, see connection.ts). Telegram does not sign the body; the header is
 * the proof, compared in constant time. A private chat's `message` is a contact writing to the
 * bot; its `update_id` and message id make Telegram's retries of one update one event.
 */

/** The header Telegram sends the webhook's secret token in ("setWebhook", `secret_token`). */
export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/** What a `Message` holds ("Message": text, photo, document, audio, voice, video, sticker). */
function inboundContent(message: Json): InboundContent {
  const caption = text(message.caption);
  if (typeof message.text === 'string') return { type: 'text', text: message.text };
  if (Array.isArray(message.photo) && message.photo.length > 0) {
    // Sizes come smallest first ("PhotoSize"); the last is the original.
    const largest = object(message.photo[message.photo.length - 1]);
    return {
      type: 'media',
      mediaType: 'image',
      caption,
      fileName: null,
      mimeType: null,
      providerMediaId: text(largest?.file_id),
    };
  }
  for (const [field, mediaType] of [
    ['document', 'document'],
    ['video', 'video'],
    ['audio', 'audio'],
    ['voice', 'audio'],
    ['sticker', 'sticker'],
  ] as const) {
    const file = object(message[field]);
    if (file) {
      return {
        type: 'media',
        mediaType,
        caption,
        fileName: text(file.file_name),
        mimeType: text(file.mime_type),
        providerMediaId: text(file.file_id),
      };
    }
  }
  const kind = Object.keys(message).find((key) =>
    ['contact', 'location', 'venue', 'poll', 'dice', 'animation', 'video_note'].includes(key),
  );
  return { type: 'other', providerType: kind ?? 'unknown', text: caption };
}

export const telegramBotCallbacks: ChannelCallbacks = {
  async verify(request, channel) {
    const presented = request.headers.get(TELEGRAM_SECRET_HEADER);
    if (!presented) return 'missing';
    if (!channel.callbackToken) return 'invalid';
    return constantTimeEqual(presented, channel.callbackToken) ? 'ok' : 'invalid';
  },

  parse(body, channel) {
    const update = parseObject(body);
    const updateId = update?.update_id;
    const message = object(update?.message);
    if (typeof updateId !== 'number' || !message) return [];
    const chat = object(message.chat);
    const from = object(message.from);
    // Groups and channels are not a contact; only a person's private chat with the bot is.
    if (chat?.type !== 'private' || typeof chat.id !== 'number' || from?.is_bot === true) {
      return [];
    }
    const at = isoFromEpoch(message.date, 's');
    if (typeof message.message_id !== 'number' || !at) return [];
    const chatId = String(chat.id);
    const event: ChannelEvent = {
      kind: 'inbound',
      eventKey: `update:${updateId}`,
      channelId: channel.id,
      providerMessageId: `${chatId}:${message.message_id}`,
      from: { address: chatId, name: displayName(chat.first_name, chat.last_name) },
      at,
      content: inboundContent(message),
    };
    return [event];
  },
};
