import { isUuid } from '../../../workflow/ids';
import type { ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, StatusEvent } from '../events';
import { object } from '../json-fields';
import { locationText } from '../location-text';
import type { VonageNetwork } from './definition';
import { parseVonageError, vonageErrorDetail, vonageFailure } from './failures';
import { verifyVonageWebhook } from './signature';

/**
 * The Messages API's webhooks to the application's Status and Inbound URLs (Vonage Messages API
 * reference, "Webhooks"): a status `{ message_uuid, to, from, timestamp, status: submitted |
 * delivered | read | rejected | undeliverable, error?, channel, client_ref }`, or an inbound
 * message `{ message_uuid, from, to, timestamp, channel, message_type, text | image… | location,
 * profile? }`. Both arrive signed (signature.ts).
 *
 * WhatsApp usernames (Vonage docs, "Handling WhatsApp Usernames and BSUIDs"; Vonage API
 * Support, "Webhook Changes for WhatsApp Usernames"): a status of a message sent to a
 * business-scoped user ID carries it in `to` ("which will always show what the business used for
 * messaging"), and WhatsApp statuses gain `profile { name, username }` and `whatsapp.recipient
 * { user_id, parent_user_id, wa_id }`. Statuses are matched by `message_uuid` and `client_ref`
 * alone, so they need none of these. An inbound message is taken from a phone (`from`, digits)
 * only: the field that names a username user without a phone on Vonage's inbound webhook is not
 * in the pages we could read, so such a message is skipped rather than guessed at.
 */

type Json = Record<string, unknown>;

/**
 * Maps, not object literals: a status or message type named like an Object.prototype member
 * (`constructor`, `toString`) reads as unknown, never as a function put into the event (a
 * message of that type was recorded as media without a media type).
 */
const STATUSES: ReadonlyMap<string, StatusEvent['status']> = new Map([
  ['submitted', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['rejected', 'failed'],
  ['undeliverable', 'failed'],
]);

const MEDIA: ReadonlyMap<string, Extract<InboundContent, { type: 'media' }>['mediaType']> = new Map(
  [
    ['image', 'image'],
    ['video', 'video'],
    ['audio', 'audio'],
    ['file', 'document'],
    ['sticker', 'sticker'],
  ],
);

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function isoTime(value: unknown): string | null {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function statusEvent(payload: Json, channelId: string): StatusEvent | null {
  const id = text(payload.message_uuid);
  const status = STATUSES.get(text(payload.status) ?? '');
  const at = isoTime(payload.timestamp);
  if (!id || !status || !at) return null;
  const ref = text(payload.client_ref);
  let failure: StatusEvent['failure'] = null;
  if (status === 'failed') {
    const error = parseVonageError(payload.error);
    failure = {
      // Without a code we know: `undeliverable` "means that Messages API was unable to connect
      // to the messaging provider. This may be due to a messaging provider outage or other
      // incident" (Vonage docs, "Messages API Status Callbacks": Undeliverable Status Callbacks),
      // the provider's own trouble, not the recipient's; `rejected` is a refusal.
      reason:
        vonageFailure(error?.code ?? null)?.reason ??
        (payload.status === 'undeliverable' ? 'network' : 'rejected_by_provider'),
      detail: error ? vonageErrorDetail(error) : `Vonage reported the message ${payload.status}`,
    };
  }
  return {
    kind: 'status',
    eventKey: `${id}:${status}`,
    channelId,
    providerMessageId: id,
    deliveryId: ref && isUuid(ref) ? ref : null,
    status,
    at,
    failure,
  };
}

function inboundContent(payload: Json): InboundContent {
  const type = text(payload.message_type) ?? 'unknown';
  if (type === 'text') return { type: 'text', text: text(payload.text) ?? '' };
  if (type === 'location') {
    // As a location on the other channels: the place, else the coordinates. An inbound WhatsApp
    // location carries `location { lat, long, name, address }`, not Meta's `latitude` and
    // `longitude` (Messages API v1 reference, Webhooks, Inbound Message, WhatsApp: Location, as
    // Vonage's own server SDKs read it: .NET `LocationDetails`, Java `Location`); no `url` is
    // documented, so none is read. Of our Vonage channels only WhatsApp has one: an inbound SMS
    // is text.
    const location = object(payload.location) ?? {};
    return {
      type: 'other',
      providerType: type,
      text: locationText(location.name, location.address, location.lat, location.long),
    };
  }
  const mediaType = MEDIA.get(type);
  if (mediaType) {
    const media = (payload[type] ?? {}) as Json;
    return {
      type: 'media',
      mediaType,
      caption: text(media.caption),
      fileName: text(media.name),
      mimeType: null,
      providerMediaId: text(media.url),
    };
  }
  return { type: 'other', providerType: type, text: null };
}

export function vonageCallbacks(network: VonageNetwork): ChannelCallbacks {
  return {
    async verify(request, channel) {
      const secret = channel.credentials.signatureSecret;
      // Without the signature secret nothing can be verified, so nothing is accepted.
      if (typeof secret !== 'string' || secret === '') return 'invalid';
      return verifyVonageWebhook(
        secret,
        request.headers.get('authorization'),
        request.body,
        new Date(),
      );
    },

    parse(body, channel): ChannelEvent[] {
      let payload: Json;
      try {
        payload = JSON.parse(body) as Json;
      } catch {
        return [];
      }
      if (!payload || typeof payload !== 'object' || payload.channel !== network) return [];
      if ('status' in payload) {
        const event = statusEvent(payload, channel.id);
        return event ? [event] : [];
      }
      const id = text(payload.message_uuid);
      const from = text(payload.from);
      const at = isoTime(payload.timestamp);
      if (!id || !from || !/^\d{7,15}$/.test(from) || !at) return [];
      const profile = (payload.profile ?? {}) as Json;
      return [
        {
          kind: 'inbound',
          eventKey: id,
          channelId: channel.id,
          providerMessageId: id,
          from: { address: `+${from}`, name: text(profile.name) },
          at,
          content: inboundContent(payload),
        },
      ];
    },
  };
}
