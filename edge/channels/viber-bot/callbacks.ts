import { fromHex } from '../../../db/encoding';
import { verifyHmacSha256 } from '../../security/hmac-sha256';
import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, StatusEvent } from '../events';
import { isoFromEpoch, type Json, object, parseObject, text } from '../json-fields';
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

const STATUSES: Record<string, StatusEvent['status']> = {
  delivered: 'delivered',
  seen: 'read',
  failed: 'failed',
};

const MEDIA_TYPES: Record<string, 'image' | 'video' | 'document' | 'sticker'> = {
  picture: 'image',
  video: 'video',
  file: 'document',
  sticker: 'sticker',
};

/** What a user's message holds ("Receive message from user": text, picture, video, file…). */
function inboundContent(message: Json): InboundContent {
  const type = text(message.type) ?? 'unknown';
  if (type === 'text')
    return { type: 'text', text: typeof message.text === 'string' ? message.text : '' };
  const mediaType = MEDIA_TYPES[type];
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
    const status = STATUSES[kind];
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
