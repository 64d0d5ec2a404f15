import { isE164 } from '../../../workflow/contact-fields';
import type { CallbackChannel, ChannelCallbacks } from '../callbacks';
import type { ChannelEvent, InboundContent, InboundEvent, StatusEvent } from '../events';
import { locationText } from '../location-text';
import type { TwilioNetwork } from './definition';
import { statusFailure } from './failures';
import { TWILIO_SIGNATURE_HEADER, verifyTwilioRequest } from './signature';

/**
 * Twilio's webhooks to a channel's callback URL, form-encoded and signed with
 * `X-Twilio-Signature` (Twilio Docs, "Webhooks security"):
 *
 * - status callbacks, to the `StatusCallback` of each message ("Message resource": "Twilio's
 *   request to the StatusCallback URL"): `MessageSid`, `MessageStatus` (queued, sending, sent,
 *   delivered, undelivered, failed, read…), `ErrorCode` when it failed, `AccountSid`;
 * - incoming messages, to the number's "A message comes in" webhook ("Messaging webhooks":
 *   `MessageSid`, `From`, `To`, `Body`, `NumMedia`, `MediaUrl{N}`, `MediaContentType{N}`,
 *   `SmsStatus=received`; for WhatsApp also `ProfileName` and `WaId`; for a shared location
 *   `Latitude`, `Longitude`, `Address`, `Label`: LOCATION_PARAMS below).
 *
 * Twilio's callbacks carry no timestamp: events are dated when they arrive. A JSON webhook
 * (signed with `bodySHA256`, signature.ts) verifies, but Messaging documents its parameters
 * as form fields only, so such a body is not read here.
 */

/**
 * Twilio statuses → ours; the others (queued, accepted, sending, scheduled…) say nothing new.
 * A Map, not an object literal: a status named like an Object.prototype member (`constructor`)
 * reads as unknown, never as a function put into a status event.
 */
const STATUSES: ReadonlyMap<string, StatusEvent['status']> = new Map([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['undelivered', 'failed'],
  ['failed', 'failed'],
]);

function mediaTypeOf(
  mimeType: string | null,
): Extract<InboundContent, { type: 'media' }>['mediaType'] {
  const type = (mimeType ?? '').toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}

/** An address without its channel prefix (`whatsapp:+15551234567` → `+15551234567`). */
function bareAddress(address: string | null): string | null {
  if (!address) return null;
  const bare = address.replace(/^whatsapp:/, '');
  return isE164(bare) ? bare : null;
}

function statusEvent(params: URLSearchParams, channelId: string, at: string): StatusEvent | null {
  const sid = params.get('MessageSid');
  const state = STATUSES.get(params.get('MessageStatus') ?? '');
  if (!sid || !state) return null;
  const errorCode = Number.parseInt(params.get('ErrorCode') ?? '', 10);
  return {
    kind: 'status',
    eventKey: `${sid}:${state}`,
    channelId,
    providerMessageId: sid,
    deliveryId: null,
    status: state,
    at,
    failure: state === 'failed' ? statusFailure(Number.isNaN(errorCode) ? null : errorCode) : null,
  };
}

/**
 * The parameters Twilio adds to an incoming message that shares a location ("Twilio's request to
 * your incoming message Webhook URL", Rich messaging feature parameters: `Latitude` and
 * `Longitude` of the location, and for a place its `Address` and `Label`, "Label or name of
 * location being sent"). Twilio documents no message-type parameter that names a location, so
 * any of them, non-empty, makes the message one.
 */
const LOCATION_PARAMS = ['Latitude', 'Longitude', 'Address', 'Label'] as const;

function inboundContent(params: URLSearchParams): InboundContent {
  const body = params.get('Body') || null;
  if (LOCATION_PARAMS.some((name) => params.get(name))) {
    // As a location on the other channels: the place, else the coordinates; a location none of
    // whose parameters is valid keeps whatever Body came with it.
    return {
      type: 'other',
      providerType: 'location',
      text:
        locationText(
          params.get('Label'),
          params.get('Address'),
          params.get('Latitude'),
          params.get('Longitude'),
        ) ?? body,
    };
  }
  const media = Number.parseInt(params.get('NumMedia') ?? '0', 10);
  if (media > 0) {
    const mimeType = params.get('MediaContentType0');
    return {
      type: 'media',
      mediaType: mediaTypeOf(mimeType),
      caption: body,
      fileName: null,
      mimeType,
      providerMediaId: params.get('MediaUrl0'),
    };
  }
  return { type: 'text', text: body ?? '' };
}

function inboundEvent(params: URLSearchParams, channelId: string, at: string): InboundEvent | null {
  const sid = params.get('MessageSid');
  const from = bareAddress(params.get('From'));
  if (!sid || !from) return null;
  return {
    kind: 'inbound',
    eventKey: sid,
    channelId,
    providerMessageId: sid,
    from: { address: from, name: params.get('ProfileName') || null },
    at,
    content: inboundContent(params),
  };
}

/** Callbacks for a Twilio integration on `network`. */
export function twilioCallbacks(network: TwilioNetwork): ChannelCallbacks {
  // An SMS channel takes plain numbers, a WhatsApp one `whatsapp:` addresses only.
  const onNetwork = (address: string | null) =>
    address !== null && address.startsWith('whatsapp:') === (network === 'whatsapp');
  return {
    async verify(request, channel) {
      const authToken = channel.credentials.authToken;
      // Without the auth token nothing can be verified, so nothing is accepted.
      if (typeof authToken !== 'string' || authToken === '') return 'invalid';
      return verifyTwilioRequest(
        authToken,
        request.url,
        request.body,
        request.headers.get(TWILIO_SIGNATURE_HEADER),
      );
    },

    parse(body, channel: CallbackChannel): ChannelEvent[] {
      const params = new URLSearchParams(body);
      // A callback about another account is not ours, signed or not.
      if (params.get('AccountSid') !== channel.credentials.accountSid) return [];
      const at = new Date().toISOString();
      const received =
        params.get('SmsStatus') === 'received' || params.get('MessageStatus') === 'received';
      if (received) {
        if (!onNetwork(params.get('From'))) return [];
        const event = inboundEvent(params, channel.id, at);
        return event ? [event] : [];
      }
      const event = statusEvent(params, channel.id, at);
      return event ? [event] : [];
    },
  };
}
