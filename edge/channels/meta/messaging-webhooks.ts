import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, InboundEvent } from '../events';
import { answerSubscribeHandshake } from './handshake';
import { verifyChannelWebhook } from './signature';
import { type Json, list, object, text, webhookOf } from './webhook-json';

/**
 * Messenger Platform webhooks, which Messenger (`object: "page"`) and Instagram messaging
 * (`object: "instagram"`) share (Messenger Platform, Webhooks, "Webhook events"): `entry[]`
 * per Page (or Instagram account) with `id` and `messaging[]`, each event naming `sender.id`
 * (the person's PSID or IGSID) and `recipient.id` (the Page or account), and one of:
 *
 * - `message` ("messages" event): `mid`, `text`, `attachments[]` of `{ type, payload: { url } }`;
 *   `is_echo` marks a message the Page itself sent (skipped);
 * - `delivery` ("message_deliveries"): `mids` (sometimes absent) and `watermark`, "all messages
 *   sent before this timestamp were delivered";
 * - `read` ("message_reads" on Messenger: `watermark`; "messaging_seen" on Instagram: `mid`).
 *
 * Timestamps are Unix milliseconds.
 */

/** Which network's webhooks, and which setting names the account entries are about. */
export interface MessagingWebhookRules {
  /** The payload's `object`: `page` (Messenger) or `instagram`. */
  object: 'page' | 'instagram';
  /** The channel setting holding the id that `entry[].id` and `recipient.id` carry. */
  accountSetting: string;
}

const ATTACHMENT_MEDIA: Record<string, 'image' | 'video' | 'audio' | 'document'> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'document',
};

function isoMillis(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? new Date(value).toISOString()
    : null;
}

/** What a `message` holds: its text, else its first attachment. */
function inboundContent(message: Json): InboundContent {
  const body = text(message.text);
  const [attachment] = list(message.attachments);
  if (attachment) {
    const type = text(attachment.type) ?? 'unknown';
    const mediaType = ATTACHMENT_MEDIA[type];
    if (mediaType) {
      return {
        type: 'media',
        mediaType,
        caption: body,
        fileName: null,
        mimeType: null,
        providerMediaId: text(object(attachment.payload)?.url),
      };
    }
    return { type: 'other', providerType: type, text: body };
  }
  return body !== null
    ? { type: 'text', text: body }
    : { type: 'other', providerType: 'unknown', text: null };
}

function inboundEvent(event: Json, channelId: string): InboundEvent | null {
  const message = object(event.message);
  const sender = text(object(event.sender)?.id);
  const mid = text(message?.mid);
  const at = isoMillis(event.timestamp);
  if (!message || message.is_echo === true || !sender || !mid || !at) return null;
  return {
    kind: 'inbound',
    eventKey: mid,
    channelId,
    providerMessageId: mid,
    // Webhooks carry no name: the contact is created unnamed, known by their scoped id.
    from: { address: sender, name: null },
    at,
    content: inboundContent(message),
  };
}

/** A `delivery` or `read`: per-message statuses for the mids it names, and its watermark. */
function receiptEvents(event: Json, channelId: string): ChannelEvent[] {
  const person = text(object(event.sender)?.id);
  const delivery = object(event.delivery);
  const read = object(event.read);
  const receipt = delivery ?? read;
  if (!person || !receipt) return [];
  const status = delivery ? 'delivered' : 'read';
  const watermark = isoMillis(receipt.watermark);
  const at = watermark ?? isoMillis(event.timestamp);
  if (!at) return [];
  const mids = [
    ...(Array.isArray(receipt.mids) ? receipt.mids : []),
    ...(text(receipt.mid) ? [receipt.mid] : []),
  ].filter((mid): mid is string => typeof mid === 'string' && mid !== '');
  const events: ChannelEvent[] = mids.map((mid) => ({
    kind: 'status',
    eventKey: `${mid}:${status}`,
    channelId,
    providerMessageId: mid,
    deliveryId: null,
    status,
    at,
    failure: null,
  }));
  if (watermark) {
    events.push({
      kind: 'watermark',
      eventKey: `${person}:${status}:${watermark}`,
      channelId,
      recipient: person,
      status,
      at: watermark,
    });
  }
  return events;
}

/**
 * The callbacks of a Messenger Platform integration: Meta's handshake with the channel's verify
 * token, `X-Hub-Signature-256` with its app secret, and the events of entries about the
 * channel's own Page or account (others are not ours).
 */
export function messagingCallbacks(rules: MessagingWebhookRules): ChannelCallbacks {
  return {
    handshake: (query, channel) => answerSubscribeHandshake(query, channel.callbackToken),
    verify: verifyChannelWebhook,
    parse(body, channel) {
      const payload = webhookOf(body, rules.object);
      if (!payload) return [];
      const account = channel.settings[rules.accountSetting];
      return list(payload.entry)
        .filter((entry) => text(entry.id) === account)
        .flatMap((entry) => list(entry.messaging))
        .flatMap((event) => {
          const inbound = inboundEvent(event, channel.id);
          return inbound ? [inbound] : receiptEvents(event, channel.id);
        });
    },
  };
}
