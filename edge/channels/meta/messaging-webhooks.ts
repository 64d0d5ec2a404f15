import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, InboundEvent } from '../events';
import { isoFromEpoch } from '../json-fields';
import { answerSubscribeHandshake } from './handshake';
import { verifyChannelWebhook } from './signature';
import { type Json, list, object, text, webhookOf } from './webhook-json';

/**
 * Messenger Platform webhooks, which Messenger (`object: "page"`) and Instagram messaging
 * (`object: "instagram"`) share (Messenger Platform, Webhooks, "Webhook events"): `entry[]`
 * per Page (or Instagram account) with `id` and `messaging[]`, each event naming `sender.id`
 * (the person's PSID or IGSID) and `recipient.id` (the Page or account), and one of:
 *
 * - `message` ("messages" event): `mid`, `text`, `attachments[]` of `{ type, payload: { url } }`
 *   (a `fallback` attachment is a shared link, with `payload.url` and `title`); `is_echo` marks
 *   a message the Page itself sent, and `is_deleted` one the person unsent (Webhooks for
 *   Instagram Messaging): both skipped, neither is something the person wrote to us;
 * - `postback` ("messaging_postbacks"): the person tapped a postback button, Get Started or a
 *   persistent menu item: `mid`, `title` (what they tapped) and our `payload`;
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

/**
 * A Map, not an object literal: an attachment type named like an Object.prototype member
 * (`constructor`, `toString`) reads as unknown, never as a function put into the event (such an
 * attachment was recorded as media without a media type).
 */
const ATTACHMENT_MEDIA: ReadonlyMap<string, 'image' | 'video' | 'audio' | 'document'> = new Map([
  ['image', 'image'],
  ['video', 'video'],
  ['audio', 'audio'],
  ['file', 'document'],
]);

/**
 * Unix milliseconds as an ISO time. One no Date holds (`1e16`) or past the year 9999 (which
 * Postgres cannot read) is no time: that event is skipped, never thrown on (a throw would answer
 * 500 and Meta would retry the whole webhook forever). Meta writes numbers; text is not read.
 */
function isoMillis(value: unknown): string | null {
  return typeof value === 'number' ? isoFromEpoch(value, 'ms') : null;
}

/** What a `message` holds: its text, else its first attachment. */
function inboundContent(message: Json): InboundContent {
  const body = text(message.text);
  const [attachment] = list(message.attachments);
  if (attachment) {
    const type = text(attachment.type) ?? 'unknown';
    const payload = object(attachment.payload);
    const mediaType = ATTACHMENT_MEDIA.get(type);
    if (mediaType) {
      return {
        type: 'media',
        // A sticker is an image whose payload names its `sticker_id` ("messages" event).
        mediaType: mediaType === 'image' && payload?.sticker_id != null ? 'sticker' : mediaType,
        caption: body,
        fileName: null,
        mimeType: null,
        providerMediaId: text(payload?.url),
      };
    }
    if (type === 'fallback') {
      // A shared link ("messages" event: "when a user shares a URL with a Page, an attachment
      // is created based on link sharing"): the link is text, as a link typed on any channel.
      const link = body ?? text(payload?.url) ?? text(payload?.title);
      if (link) return { type: 'text', text: link };
    }
    // A shared reel or post (`reel`, `ig_reel`, `post`, `ig_post`…) says what it is by its
    // title, else its URL, when the person wrote nothing with it.
    return {
      type: 'other',
      providerType: type,
      text: body ?? text(payload?.title) ?? text(payload?.url),
    };
  }
  return body !== null
    ? { type: 'text', text: body }
    : { type: 'other', providerType: 'unknown', text: null };
}

function inboundEvent(event: Json, channelId: string): InboundEvent | null {
  const message = object(event.message);
  const postback = object(event.postback);
  const sender = text(object(event.sender)?.id);
  const mid = text(message?.mid) ?? (message ? null : text(postback?.mid));
  const at = isoMillis(event.timestamp);
  if (!sender || !mid || !at) return null;
  if (message && (message.is_echo === true || message.is_deleted === true)) return null;
  if (!message && !postback) return null;
  return {
    kind: 'inbound',
    eventKey: mid,
    channelId,
    providerMessageId: mid,
    // Webhooks carry no name: the contact is created unnamed, known by their scoped id.
    from: { address: sender, name: null },
    at,
    content: message
      ? inboundContent(message)
      : { type: 'other', providerType: 'postback', text: text(postback?.title) },
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
    // An app's Page (and Instagram) webhooks go to its one callback URL, whichever Page they
    // are about (Graph API, Webhooks: one subscription per app and object).
    sharedAppUrl: {
      accountSetting: rules.accountSetting,
      accountsIn: (body) =>
        list(webhookOf(body, rules.object)?.entry).flatMap((entry) => text(entry.id) ?? []),
    },
  };
}
