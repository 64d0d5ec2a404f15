import { fromHex } from '../../../db/encoding';
import { verifyHmacSha256 } from '../../security/hmac-sha256';
import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, StatusEvent } from '../events';
import {
  coordinatesText,
  isoFromEpoch,
  type Json,
  object,
  parseObject,
  text,
} from '../json-fields';
import { rawMessageToken } from './bot-api';

/**
 * Viber callbacks (REST Bot API, "Callbacks"): one event per POST, signed with
 * `X-Viber-Content-Signature`, the hex HMAC-SHA256 of the raw body keyed with the bot's
 * authentication token. `delivered`, `seen` and `failed` report on a message we sent, by its
 * `message_token` (read as exact digits, see bot-api.ts); `message` is a user writing in.
 * `webhook` (sent when the webhook is set), `subscribed`, `unsubscribed` and
 * `conversation_started` change nothing here.
 */

export const VIBER_SIGNATURE_HEADER = 'x-viber-content-signature';

/**
 * Maps, not object literals: an event or message type named like an Object.prototype member
 * (`constructor`, `toString`) reads as unknown, never as a function put into the event (an event
 * `toString` was queued as a status, a message of type `constructor` recorded as media without a
 * media type).
 */
const STATUSES: ReadonlyMap<string, StatusEvent['status']> = new Map([
  ['delivered', 'delivered'],
  ['seen', 'read'],
  ['failed', 'failed'],
]);

const MEDIA_TYPES: ReadonlyMap<string, 'image' | 'video' | 'document' | 'sticker'> = new Map([
  ['picture', 'image'],
  ['video', 'video'],
  ['file', 'document'],
  ['sticker', 'sticker'],
]);

/**
 * What a user's message holds (REST Bot API, "Callbacks", "Receive message from user": `type`
 * is text, picture, video, file, sticker, contact, url or location). `media` is the URL of a
 * picture, video, file or url message; `location` holds `lat` and `lon`; `contact` holds `name`,
 * `phone_number` and `avatar`. As on the other channels, a link is text (what the contact typed)
 * and a location or contact is `other` whose text is what it says, so the conversation shows it.
 */
function inboundContent(message: Json): InboundContent {
  const type = text(message.type) ?? 'unknown';
  if (type === 'text')
    return { type: 'text', text: typeof message.text === 'string' ? message.text : '' };
  const mediaType = MEDIA_TYPES.get(type);
  if (mediaType) {
    return {
      type: 'media',
      mediaType,
      caption: text(message.text),
      fileName: text(message.file_name),
      mimeType: null,
      // Viber gives a URL to the file, valid for a while; it is the way to fetch it.
      providerMediaId:
        text(message.media) ??
        (typeof message.sticker_id === 'number' ? String(message.sticker_id) : null),
    };
  }
  if (type === 'url') {
    const url = text(message.media) ?? text(message.text);
    if (url) return { type: 'text', text: url };
  }
  if (type === 'location') {
    const location = object(message.location);
    return {
      type: 'other',
      providerType: 'location',
      text: coordinatesText(location?.lat, location?.lon) ?? text(message.text),
    };
  }
  if (type === 'contact') {
    const contact = object(message.contact);
    const card = [text(contact?.name), text(contact?.phone_number)]
      .filter((part) => part !== null)
      .join(' ')
      .trim();
    return { type: 'other', providerType: 'contact', text: card || text(message.text) };
  }
  return { type: 'other', providerType: type, text: text(message.text) };
}

export const viberBotCallbacks: ChannelCallbacks = {
  verify(request, channel) {
    const token = channel.credentials.authToken;
    return verifyHmacSha256(
      typeof token === 'string' ? token : null,
      request.body,
      request.headers.get(VIBER_SIGNATURE_HEADER),
      (header) => (/^[0-9a-fA-F]{64}$/.test(header) ? fromHex(header) : null),
    );
  },

  parse(body, channel): ChannelEvent[] {
    const event = parseObject(body);
    const kind = text(event?.event);
    const token = rawMessageToken(body);
    const at = isoFromEpoch(event?.timestamp, 'ms');
    if (!event || !kind || !token || !at) return [];
    const status = STATUSES.get(kind);
    if (status) {
      return [
        {
          kind: 'status',
          eventKey: `${token}:${kind}`,
          channelId: channel.id,
          providerMessageId: token,
          deliveryId: null,
          status,
          at,
          failure:
            status === 'failed'
              ? {
                  reason: 'recipient_unavailable',
                  detail: `Viber reported the message failed${text(event.desc) ? `: ${text(event.desc)}` : ''}`,
                }
              : null,
        },
      ];
    }
    const sender = object(event.sender);
    const message = object(event.message);
    const senderId = text(sender?.id);
    if (kind !== 'message' || !senderId || !message) return [];
    return [
      {
        kind: 'inbound',
        eventKey: `${token}:message`,
        channelId: channel.id,
        providerMessageId: token,
        from: { address: senderId, name: text(sender?.name) },
        at,
        content: inboundContent(message),
      },
    ];
  },
};
