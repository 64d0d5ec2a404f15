import { isUuid } from '../../../workflow/ids';
import type { CallbackChannel, ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, InboundEvent, StatusEvent } from '../events';
import { findGraphFailure, graphErrorDetail, parseGraphError } from '../meta/graph-errors';
import { answerSubscribeHandshake } from '../meta/handshake';
import { HUB_SIGNATURE_HEADER, verifyHubSignature } from '../meta/signature';
import { WHATSAPP_API } from './adapter';
import { WHATSAPP_FAILURES } from './failures';

/**
 * WhatsApp Cloud API webhooks (WhatsApp Cloud API, Webhooks, "messages webhook reference"):
 * `{ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value }] }] }`
 * where `value.statuses[]` reports on messages we sent and `value.messages[]` holds messages
 * contacts sent, with `value.contacts[]` naming them and `value.metadata.phone_number_id`
 * saying which business number it is about.
 */

type Json = Record<string, unknown>;

const STATUSES: ReadonlySet<string> = new Set(['sent', 'delivered', 'read', 'failed']);
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;

function object(value: unknown): Json | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.flatMap((item) => (object(item) ? [item as Json] : [])) : [];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Webhook timestamps are Unix seconds as strings. */
function isoTime(value: unknown): string | null {
  const seconds = typeof value === 'string' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? new Date(seconds * 1000).toISOString()
    : null;
}

/** A `statuses[]` entry ("Status messages webhook reference"). */
function statusEvent(status: Json, channelId: string): StatusEvent | null {
  const id = text(status.id);
  const state = text(status.status);
  const at = isoTime(status.timestamp);
  if (!id || !state || !STATUSES.has(state) || !at) return null;
  const opaque = text(status.biz_opaque_callback_data);
  let failure: StatusEvent['failure'] = null;
  if (state === 'failed') {
    const error = parseGraphError(list(status.errors)[0]);
    const row = error ? findGraphFailure(WHATSAPP_FAILURES, error) : undefined;
    failure = {
      reason: row?.reason ?? 'rejected_by_provider',
      detail: error
        ? graphErrorDetail(WHATSAPP_API, error)
        : 'WhatsApp reported the message failed',
    };
  }
  return {
    kind: 'status',
    eventKey: `${id}:${state}`,
    channelId,
    providerMessageId: id,
    deliveryId: opaque && isUuid(opaque) ? opaque : null,
    status: state as StatusEvent['status'],
    at,
    failure,
  };
}

/** What an incoming message holds ("Incoming messages": text, media, and the rest). */
function inboundContent(message: Json): InboundContent {
  const type = text(message.type) ?? 'unknown';
  if (type === 'text') return { type: 'text', text: text(object(message.text)?.body) ?? '' };
  const mediaType = MEDIA_TYPES.find((candidate) => candidate === type);
  if (mediaType) {
    const media = object(message[mediaType]) ?? {};
    return {
      type: 'media',
      mediaType,
      caption: text(media.caption),
      fileName: text(media.filename),
      mimeType: text(media.mime_type),
      providerMediaId: text(media.id),
    };
  }
  // Buttons and interactive replies carry the text the contact tapped.
  const reply =
    object(object(message.interactive)?.button_reply) ??
    object(object(message.interactive)?.list_reply);
  return {
    type: 'other',
    providerType: type,
    text: text(object(message.button)?.text) ?? text(reply?.title),
  };
}

/** A `messages[]` entry, named by `contacts[]`. */
function inboundEvent(
  message: Json,
  names: Map<string, string>,
  channelId: string,
): InboundEvent | null {
  const id = text(message.id);
  const from = text(message.from);
  const at = isoTime(message.timestamp);
  // `from` is the WhatsApp id: the phone number's digits with the country code, no `+`.
  if (!id || !from || !/^\d{2,15}$/.test(from) || !at) return null;
  return {
    kind: 'inbound',
    eventKey: id,
    channelId,
    providerMessageId: id,
    from: { address: `+${from}`, name: names.get(from) ?? null },
    at,
    content: inboundContent(message),
  };
}

/** The events of one `changes[].value` for our business number; others are not ours. */
function valueEvents(value: Json, channel: CallbackChannel): ChannelEvent[] {
  const phoneNumberId = text(object(value.metadata)?.phone_number_id);
  if (phoneNumberId !== channel.settings.phoneNumberId) return [];
  const names = new Map<string, string>();
  for (const contact of list(value.contacts)) {
    const waId = text(contact.wa_id);
    const name = text(object(contact.profile)?.name);
    if (waId && name) names.set(waId, name);
  }
  return [
    ...list(value.statuses).map((status) => statusEvent(status, channel.id)),
    ...list(value.messages).map((message) => inboundEvent(message, names, channel.id)),
  ].filter((event): event is ChannelEvent => event !== null);
}

export const whatsappMetaCallbacks: ChannelCallbacks = {
  handshake: (query, channel) => answerSubscribeHandshake(query, channel.callbackToken),

  async verify(request, channel) {
    const appSecret = channel.credentials.appSecret;
    // Without the app secret nothing can be verified, so nothing is accepted.
    if (typeof appSecret !== 'string' || appSecret === '') return 'invalid';
    return verifyHubSignature(appSecret, request.body, request.headers.get(HUB_SIGNATURE_HEADER));
  },

  parse(body, channel) {
    let payload: Json | null;
    try {
      payload = object(JSON.parse(body));
    } catch {
      return [];
    }
    if (payload?.object !== 'whatsapp_business_account') return [];
    return list(payload.entry)
      .flatMap((entry) => list(entry.changes))
      .filter((change) => change.field === 'messages')
      .flatMap((change) => valueEvents(object(change.value) ?? {}, channel));
  },
};
