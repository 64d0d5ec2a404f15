import { fromBase64 } from '../../../db/encoding';
import { verifyHmacSha256 } from '../../security/hmac-sha256';
import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent } from '../events';
import { isoFromEpoch, type Json, list, object, parseObject, text } from '../json-fields';
import { locationText } from '../location-text';

/**
 * LINE webhooks (Messaging API reference, "Webhooks", "Webhook event objects"): `{ destination,
 * events[] }`, signed with `X-Line-Signature`, the base64 HMAC-SHA256 of the raw body keyed
 * with the channel secret ("Signature validation"). A `message` event from a user is a
 * contact writing in; its `webhookEventId` stays the same when LINE redelivers it, and the
 * message id makes it one inbound message. Webhooks carry no display name (that needs a
 * profile call), so new contacts start without one.
 */

export const LINE_SIGNATURE_HEADER = 'x-line-signature';

/**
 * A Map, not an object literal: a type named like an Object.prototype member (`constructor`,
 * `toString`) reads as unknown, never as a function put into the event (a message of that type
 * was recorded as media without a media type).
 */
const MEDIA_TYPES: ReadonlyMap<string, 'image' | 'video' | 'audio' | 'document'> = new Map([
  ['image', 'image'],
  ['video', 'video'],
  ['audio', 'audio'],
  ['file', 'document'],
]);

/** What a message object holds ("Message event": text, image, video, audio, file, sticker…). */
function inboundContent(message: Json): InboundContent {
  const type = text(message.type) ?? 'unknown';
  if (type === 'text')
    return { type: 'text', text: typeof message.text === 'string' ? message.text : '' };
  const mediaType = MEDIA_TYPES.get(type);
  if (mediaType) {
    return {
      type: 'media',
      mediaType,
      caption: null,
      fileName: text(message.fileName),
      mimeType: null,
      // Content is fetched by message id ("Get content").
      providerMediaId: text(message.id),
    };
  }
  if (type === 'sticker') {
    return {
      type: 'media',
      mediaType: 'sticker',
      caption: null,
      fileName: null,
      mimeType: null,
      providerMediaId: text(message.stickerId),
    };
  }
  if (type === 'location') {
    // A location says its place and address, else where it is, as on the other channels
    // (Messaging API reference, "Webhook event objects", location message: `title` and `address`
    // optional, `latitude` and `longitude` always there): a dropped pin has no title or address.
    return {
      type: 'other',
      providerType: type,
      text: locationText(message.title, message.address, message.latitude, message.longitude),
    };
  }
  return { type: 'other', providerType: type, text: text(message.title) ?? text(message.address) };
}

export const lineMessagingCallbacks: ChannelCallbacks = {
  verify(request, channel) {
    const secret = channel.credentials.channelSecret;
    return verifyHmacSha256(
      typeof secret === 'string' ? secret : null,
      request.body,
      request.headers.get(LINE_SIGNATURE_HEADER),
      (header) => fromBase64(header),
    );
  },

  parse(body, channel) {
    const payload = parseObject(body);
    return list(payload?.events).flatMap((event): ChannelEvent[] => {
      const source = object(event.source);
      const message = object(event.message);
      const userId = text(source?.userId);
      const messageId = text(message?.id);
      const at = isoFromEpoch(event.timestamp, 'ms');
      // Only a user's own chat with the account is a contact (not groups or rooms).
      if (event.type !== 'message' || source?.type !== 'user' || !userId || !messageId || !at) {
        return [];
      }
      return [
        {
          kind: 'inbound',
          eventKey: text(event.webhookEventId) ?? messageId,
          channelId: channel.id,
          providerMessageId: messageId,
          from: { address: userId, name: null },
          at,
          content: inboundContent(message!),
        },
      ];
    });
  },
};
