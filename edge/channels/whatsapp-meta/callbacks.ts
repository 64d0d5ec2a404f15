import { isBusinessScopedUserId } from '../../../workflow/contact-fields';
import { isUuid } from '../../../workflow/ids';
import type { CallbackChannel, ChannelCallbacks } from '../callbacks';
import type {
  AddressChangeEvent,
  ChannelEvent,
  InboundContent,
  InboundEvent,
  StatusEvent,
} from '../events';
import { isoFromEpoch } from '../json-fields';
import { locationText } from '../location-text';
import { findGraphFailure, graphErrorDetail, parseGraphError } from '../meta/graph-errors';
import { answerSubscribeHandshake } from '../meta/handshake';
import { verifyChannelWebhook } from '../meta/signature';
import { type Json, list, object, text, webhookOf } from '../meta/webhook-json';
import { WHATSAPP_API } from './adapter';
import { WHATSAPP_FAILURES } from './failures';

/**
 * WhatsApp Cloud API webhooks (WhatsApp Cloud API, Webhooks, "messages webhook reference"):
 * `{ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value }] }] }`
 * where `value.statuses[]` reports on messages we sent and `value.messages[]` holds messages
 * contacts sent, with `value.contacts[]` naming them and `value.metadata.phone_number_id`
 * saying which business number it is about.
 */

const STATUSES: ReadonlySet<string> = new Set(['sent', 'delivered', 'read', 'failed']);
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;

/**
 * Webhook timestamps are Unix seconds as strings. One no Date holds (`"1e13"`) or past the year
 * 9999 (which Postgres cannot read) is no time: that entry is skipped, never thrown on (a throw
 * would answer 500 and Meta would retry the whole webhook forever).
 */
function isoTime(value: unknown): string | null {
  return isoFromEpoch(value, 's');
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
  // What a location, a shared contact card or a reaction says, so the conversation shows it
  // ("Location messages": `latitude`, `longitude`, `name`, `address`; "Contacts messages":
  // `contacts[].name.formatted_name`, `phones[].phone`; "Reaction messages": `emoji`, absent
  // when the user removes their reaction).
  if (type === 'location') {
    const location = object(message.location) ?? {};
    return {
      type: 'other',
      providerType: type,
      text: locationText(location.name, location.address, location.latitude, location.longitude),
    };
  }
  if (type === 'contacts') {
    const cards = list(message.contacts).map((card) =>
      [
        text(object(card.name)?.formatted_name),
        ...list(card.phones).map((phone) => text(phone.phone)),
      ]
        .filter(Boolean)
        .join(' '),
    );
    return { type: 'other', providerType: type, text: cards.filter(Boolean).join('; ') || null };
  }
  if (type === 'reaction') {
    return { type: 'other', providerType: type, text: text(object(message.reaction)?.emoji) };
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

/**
 * Who sent a `messages[]` entry: their phone (`from`, the WhatsApp id: the number's digits with
 * the country code, no `+`) as E.164 whenever Meta gives it; otherwise, where the channel takes
 * them, their business-scoped user ID ("Business-scoped user IDs": for a user who adopted a
 * username, `from` and `contacts[].wa_id` may be omitted, and the BSUID is the message's
 * `from_user_id` and the contact's `user_id`).
 *
 * With both, the BSUID goes along as `otherAddress`: Meta includes it in every messages webhook
 * and withholds the phone only at times (while the user has a username and is neither in the
 * business's contact book nor messaged in the last 30 days: "Business-scoped user IDs"), so a
 * user first known by their BSUID alone may later write with their phone, and the identity at
 * the BSUID is still theirs (a new contact for the phone would be a twin).
 */
function senderOf(
  message: Json,
  contacts: readonly Json[],
  businessScopedIds: boolean,
): { address: string; name: string | null; otherAddress?: string } | null {
  const from = text(message.from);
  const contact = from ? contacts.find((candidate) => text(candidate.wa_id) === from) : undefined;
  // One sender per webhook: its only contact names them when the message does not.
  const userId = businessScopedIds
    ? (text(message.from_user_id) ??
      text(contact?.user_id) ??
      (contacts.length === 1 ? text(contacts[0]?.user_id) : null))
    : null;
  const bsuid = userId && isBusinessScopedUserId(userId) ? userId : null;
  if (from) {
    if (!/^\d{2,15}$/.test(from)) return null;
    return {
      address: `+${from}`,
      name: text(object(contact?.profile)?.name),
      ...(bsuid ? { otherAddress: bsuid } : {}),
    };
  }
  if (!bsuid) return null;
  const named = contacts.find((candidate) => text(candidate.user_id) === bsuid);
  return { address: bsuid, name: text(object(named?.profile)?.name) };
}

/** A `messages[]` entry, named by `contacts[]`. */
function inboundEvent(
  message: Json,
  contacts: readonly Json[],
  channelId: string,
  businessScopedIds: boolean,
): InboundEvent | null {
  // A system message is WhatsApp's news about the user (a changed number or business-scoped user
  // ID: "System messages webhook reference"), not something they wrote: it opens no window.
  if (text(message.type) === 'system') return null;
  const id = text(message.id);
  const from = senderOf(message, contacts, businessScopedIds);
  const at = isoTime(message.timestamp);
  if (!id || !from || !at) return null;
  return {
    kind: 'inbound',
    eventKey: id,
    channelId,
    providerMessageId: id,
    from,
    at,
    content: inboundContent(message),
  };
}

/** The system messages that report a user's new business-scoped user ID. */
const IDENTIFIER_CHANGES: ReadonlySet<string> = new Set([
  'user_changed_user_id',
  'user_changed_number',
]);

/** A WhatsApp user ID as `from` and `wa_id` carry it: the phone's digits, no `+`. */
const WA_ID = /^\d{2,15}$/;

/**
 * What a system message says of a user's addresses (WhatsApp Cloud API, "System messages webhook
 * reference"; Changelog, Aug 11, 2026), as moves of their identity on the channel:
 *
 * - `user_changed_number`: `from` is the old number and `system.wa_id` the "New WhatsApp user
 *   ID" their messages now come from, so a phone identity at `+<from>` moves to `+<wa_id>`
 *   (the form inbound messages give it, senderOf). Sends then go to the new ID, and their next
 *   message finds the same contact. The contact's own `phone` field is the workspace's record
 *   and is left as it is.
 * - With `businessScopedIds`, the user's business-scoped user IDs: `user_changed_user_id` (their
 *   BSUID changed and no phone number can be shared) and `user_changed_number` (a number change
 *   regenerates the BSUID) carry `system.previous_user_id` and `system.previous_parent_user_id`
 *   "alongside the new values". The new values' names, `system.user_id` and
 *   `system.parent_user_id`, are inferred, not read: the reference's example payload for this
 *   type was not available to us, and they follow "assigned to the user_id parameter"
 *   ("Business-scoped user IDs") and `user_changed_number`'s `system.wa_id`. A payload naming
 *   them otherwise moves nothing (never a wrong move).
 *
 * Each pair of well-formed, different addresses is one move, keyed by the message id and the
 * field, so a retried webhook moves nothing twice.
 */
function addressChangeEvents(
  message: Json,
  channelId: string,
  businessScopedIds: boolean,
): AddressChangeEvent[] {
  const system = object(message.system);
  const id = text(message.id);
  const at = isoTime(message.timestamp);
  if (text(message.type) !== 'system' || !system || !id || !at) return [];
  const type = text(system.type) ?? '';
  if (!IDENTIFIER_CHANGES.has(type)) return [];
  const phone = (waId: string | null) => (waId && WA_ID.test(waId) ? `+${waId}` : null);
  const pairs: [string, string | null, string | null][] = [];
  if (type === 'user_changed_number') {
    pairs.push(['wa_id', phone(text(message.from)), phone(text(system.wa_id))]);
  }
  if (businessScopedIds) {
    const bsuid = (value: string | null) => (value && isBusinessScopedUserId(value) ? value : null);
    pairs.push(
      ['user_id', bsuid(text(system.previous_user_id)), bsuid(text(system.user_id))],
      [
        'parent_user_id',
        bsuid(text(system.previous_parent_user_id)),
        bsuid(text(system.parent_user_id)),
      ],
    );
  }
  return pairs.flatMap(([field, previous, current]) =>
    previous && current && previous !== current
      ? [
          {
            kind: 'address_change' as const,
            eventKey: `${id}:${field}`,
            channelId,
            previous,
            current,
            at,
          },
        ]
      : [],
  );
}

/**
 * The events of one `changes[].value` for our business number (`phoneNumberId`; null when the
 * callback URL can only hear from one number); others are not ours.
 */
function valueEvents(
  value: Json,
  channel: CallbackChannel,
  phoneNumberId: string | null,
  businessScopedIds: boolean,
): ChannelEvent[] {
  if (phoneNumberId !== null && text(object(value.metadata)?.phone_number_id) !== phoneNumberId) {
    return [];
  }
  const contacts = list(value.contacts);
  const messages = list(value.messages);
  return [
    ...[
      ...list(value.statuses).map((status) => statusEvent(status, channel.id)),
      ...messages.map((message) => inboundEvent(message, contacts, channel.id, businessScopedIds)),
    ].filter((event): event is StatusEvent | InboundEvent => event !== null),
    ...messages.flatMap((message) => addressChangeEvents(message, channel.id, businessScopedIds)),
  ];
}

/**
 * The events of a Cloud API webhook body for `channel`, from the business number
 * `phoneNumberId` (any, when null: a provider whose webhook serves one number). With
 * `businessScopedIds`, a message from a user known only by their business-scoped user ID names
 * them by it (the channel's adapter sends to it), and a system message reporting their new BSUID
 * moves their identity to it; without, both are skipped.
 */
export function cloudApiEvents(
  body: string,
  channel: CallbackChannel,
  phoneNumberId: string | null,
  businessScopedIds = false,
): ChannelEvent[] {
  const payload = webhookOf(body, 'whatsapp_business_account');
  if (!payload) return [];
  const events = list(payload.entry)
    .flatMap((entry) => list(entry.changes))
    .filter((change) => change.field === 'messages')
    .flatMap((change) =>
      valueEvents(object(change.value) ?? {}, channel, phoneNumberId, businessScopedIds),
    );
  // Address changes first: the route queues a long webhook in several batches (100 messages
  // each), and a change that reached the consumer after a message from the new address would
  // leave that message to create a second contact. (Within one batch the consumer applies the
  // changes first whatever their order.)
  return [
    ...events.filter((event) => event.kind === 'address_change'),
    ...events.filter((event) => event.kind !== 'address_change'),
  ];
}

export const whatsappMetaCallbacks: ChannelCallbacks = {
  handshake: (query, channel) => answerSubscribeHandshake(query, channel.callbackToken),

  verify: verifyChannelWebhook,

  // A channel without its number id ('') hears from no number.
  parse: (body, channel) =>
    cloudApiEvents(body, channel, String(channel.settings.phoneNumberId ?? ''), true),

  // An app's webhooks go to the app's callback URL for all its numbers, unless a number or its
  // WABA names an alternate one (WhatsApp Cloud API, "Webhook overrides").
  sharedAppUrl: {
    accountSetting: 'phoneNumberId',
    accountsIn: (body) =>
      list(webhookOf(body, 'whatsapp_business_account')?.entry)
        .flatMap((entry) => list(entry.changes))
        .flatMap((change) => text(object(object(change.value)?.metadata)?.phone_number_id) ?? []),
  },
};
