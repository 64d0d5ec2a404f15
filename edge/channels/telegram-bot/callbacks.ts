import { constantTimeEqual } from '../../../db/encoding';
import type { CallbackChannel, ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent } from '../events';
import {
  coordinatesText,
  displayName,
  isoFromEpoch,
  type Json,
  object,
  parseObject,
  text,
} from '../json-fields';
import { locationText } from '../location-text';

/**
 * Telegram webhooks (Bot API, "setWebhook", "Update"): one `Update` per POST, carrying
 * `X-Telegram-Bot-Api-Secret-Token` with the `secret_token` we set when connecting (the
 * channel's callback token, see connection.ts). Telegram does not sign the body; the header is
 * the proof, compared in constant time. A private chat's `message` is a contact writing to the
 * bot; its `update_id` and message id, with the bot's id, make Telegram's retries of one update
 * one event. A group's move to a supergroup moves whoever the old chat id addressed to the new.
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
  // What a venue, a location or a shared contact says, so the conversation shows it, as on the
  // other channels ("Message": `venue` (Venue: `title`, `address`, `location`; a venue's
  // message also carries `location`), `location` (Location: `latitude`, `longitude`), `contact`
  // (Contact: `phone_number`, `first_name`, `last_name`)).
  const venue = object(message.venue);
  if (venue) {
    const spot = object(venue.location);
    return {
      type: 'other',
      providerType: 'venue',
      text: locationText(venue.title, venue.address, spot?.latitude, spot?.longitude),
    };
  }
  const location = object(message.location);
  if (location) {
    return {
      type: 'other',
      providerType: 'location',
      text: coordinatesText(location.latitude, location.longitude),
    };
  }
  const contact = object(message.contact);
  if (contact) {
    const card = [displayName(contact.first_name, contact.last_name), text(contact.phone_number)]
      .filter(Boolean)
      .join(' ');
    return { type: 'other', providerType: 'contact', text: card || null };
  }
  const kind = Object.keys(message).find((key) =>
    ['poll', 'dice', 'animation', 'video_note'].includes(key),
  );
  return { type: 'other', providerType: kind ?? 'unknown', text: caption };
}

/**
 * The id of the bot a channel's token belongs to: the digits before the colon (Bot API,
 * "Authorizing your bot": "The token is a string, like 110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw,
 * which is required to authorize the bot"; its first part is the bot's user id, which `getMe`
 * answers as `id`). Null when the credentials cannot be read.
 */
export function telegramBotId(channel: Pick<CallbackChannel, 'credentials'>): string | null {
  const token = channel.credentials.botToken;
  return typeof token === 'string' ? (/^(\d{1,20}):/.exec(token)?.[1] ?? null) : null;
}

/**
 * A group's move to a supergroup (Bot API, "Message": `migrate_to_chat_id`, "The group has been
 * migrated to a supergroup with the specified identifier", sent in the old group, and
 * `migrate_from_chat_id`, "The supergroup has been migrated from a group with the specified
 * identifier", sent in the new supergroup; both integers of at most 52 significant bits, exact
 * as JS numbers): the chat's new id replaces the old one for whoever is addressed by it.
 */
function migration(message: Json, chat: Json): { previous: string; current: string } | null {
  if (typeof chat.id !== 'number') return null;
  const to = message.migrate_to_chat_id;
  const from = message.migrate_from_chat_id;
  const chatId = String(chat.id);
  // Only a (basic) group moves, and only to a supergroup.
  if (chat.type === 'group' && typeof to === 'number' && Number.isSafeInteger(to)) {
    return String(to) === chatId ? null : { previous: chatId, current: String(to) };
  }
  if (chat.type === 'supergroup' && typeof from === 'number' && Number.isSafeInteger(from)) {
    return String(from) === chatId ? null : { previous: String(from), current: chatId };
  }
  return null;
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
    const at = isoFromEpoch(message.date, 's');
    if (!chat || !at) return [];
    // Update ids count per bot, and message ids per chat per bot ("Update", "Message"): a
    // channel given another bot's token sees both start again, so its keys name the bot. (A
    // channel whose credentials cannot be read keys as before bots were named.)
    const bot = telegramBotId(channel);
    const scope = bot ? `${bot}:` : '';
    const moved = migration(message, chat);
    if (moved) {
      return [
        {
          kind: 'address_change',
          eventKey: `update:${scope}${updateId}`,
          channelId: channel.id,
          previous: moved.previous,
          current: moved.current,
          at,
        },
      ];
    }
    // Groups and channels are not a contact; only a person's private chat with the bot is.
    if (chat.type !== 'private' || typeof chat.id !== 'number' || from?.is_bot === true) {
      return [];
    }
    if (typeof message.message_id !== 'number') return [];
    const chatId = String(chat.id);
    const event: ChannelEvent = {
      kind: 'inbound',
      eventKey: `update:${scope}${updateId}`,
      channelId: channel.id,
      providerMessageId: `${scope}${chatId}:${message.message_id}`,
      from: { address: chatId, name: displayName(chat.first_name, chat.last_name) },
      at,
      content: inboundContent(message),
    };
    return [event];
  },
};
