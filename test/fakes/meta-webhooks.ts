import { createHmac } from 'node:crypto';

/**
 * Meta's side of webhooks, for tests: payloads shaped as the Cloud API's "messages webhook
 * reference" (statuses, inbound messages with their contacts, system messages reporting a
 * user's new business-scoped user ID) and as the Messenger Platform's
 * webhook events (Messenger `object: "page"`, Instagram `object: "instagram"`), signed with
 * `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret, computed here with
 * node:crypto, independently of the verifier under test) — validly, forged, or not at all.
 */

/** `X-Hub-Signature-256` as Meta computes it: `sha256=` + hex HMAC-SHA256(app secret, body). */
export function metaSignature(appSecret: string, body: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * A webhook body as Meta sends it: JSON whose non-ASCII characters are `\uXXXX` escapes with
 * lowercase hex digits (Graph API, Webhooks, "Validating Payloads": "we generate the signature
 * using an escaped unicode version of the payload, with lowercase hex digits"), so the signature
 * holds only over the bytes as received, never over a re-encoding of the parsed JSON.
 */
export function metaWebhookBody(payload: unknown): string {
  return JSON.stringify(payload).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** How a webhook is signed: correctly, with the wrong secret, or not at all. */
export type WebhookSigning = 'valid' | 'forged' | 'missing';

/** POSTs a webhook payload to our callback URL the way Meta does. */
export async function postMetaWebhook(
  url: string,
  payload: unknown,
  appSecret: string,
  signing: WebhookSigning = 'valid',
  send: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<Response> {
  const body = metaWebhookBody(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing === 'valid') headers['x-hub-signature-256'] = metaSignature(appSecret, body);
  if (signing === 'forged')
    headers['x-hub-signature-256'] = metaSignature(`${appSecret}-not`, body);
  return send(url, { method: 'POST', headers, body });
}

/** Unix seconds as webhooks write timestamps. */
function seconds(at: Date): string {
  return String(Math.floor(at.getTime() / 1000));
}

/** One `changes[].value` wrapped in a `whatsapp_business_account` webhook. */
export function whatsappWebhook(
  ids: { businessAccountId: string; phoneNumberId: string },
  value: Record<string, unknown>,
): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: ids.businessAccountId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100000', phone_number_id: ids.phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/**
 * A text message from a WhatsApp user (`messages[]` with `contacts[]`). With `userId`, the
 * contact also carries their business-scoped user ID (`contacts[].user_id`, in every messages
 * webhook once BSUIDs roll out: "Business-scoped user IDs").
 */
export function inboundText(
  from: { waId: string; name: string; userId?: string },
  id: string,
  text: string,
  at = new Date(),
) {
  const userId = from.userId ? { user_id: from.userId } : {};
  return {
    contacts: [{ profile: { name: from.name }, wa_id: from.waId, ...userId }],
    messages: [
      {
        from: from.waId,
        ...(from.userId ? { from_user_id: from.userId } : {}),
        id,
        timestamp: seconds(at),
        type: 'text',
        text: { body: text },
      },
    ],
  };
}

/**
 * A text message from a WhatsApp user who adopted a username and whose phone Meta withholds
 * ("Business-scoped user IDs", incoming messages): `contacts[]` with `profile.username` and
 * `user_id` (their BSUID) but no `wa_id`, and the message with `from_user_id` but no `from`.
 */
export function inboundTextFromUsername(
  from: { userId: string; username: string; name: string },
  id: string,
  text: string,
  at = new Date(),
) {
  return {
    contacts: [{ profile: { name: from.name, username: from.username }, user_id: from.userId }],
    messages: [
      {
        from_user_id: from.userId,
        id,
        timestamp: seconds(at),
        type: 'text',
        text: { body: text },
      },
    ],
  };
}

/** A user's business-scoped user IDs before and after a change, and their profile name. */
export interface UserIdChange {
  name: string;
  previousUserId: string;
  userId: string;
  /** Parent BSUIDs, for a business whose linked portfolios share them. */
  previousParentUserId?: string;
  parentUserId?: string;
}

/** The `system` object's BSUID fields of a change. */
function userIdFields(change: UserIdChange) {
  return {
    previous_user_id: change.previousUserId,
    user_id: change.userId,
    ...(change.previousParentUserId
      ? { previous_parent_user_id: change.previousParentUserId }
      : {}),
    ...(change.parentUserId ? { parent_user_id: change.parentUserId } : {}),
  };
}

/**
 * A user's business-scoped user ID changed and no phone number can be shared (WhatsApp Cloud
 * API, "System messages webhook reference", `user_changed_user_id`; Changelog, Aug 11, 2026):
 * one `messages[]` entry of type `system`, with no `contacts[]` ("system messages webhooks
 * don't include a contacts array") and no phone (no `from`, no `system.wa_id`), whose `system`
 * carries `previous_user_id` (and `previous_parent_user_id`) alongside the new values
 * (`user_id`, `parent_user_id`). Its `body`, text for people, is worded here as
 * `user_changed_number`'s; nothing reads it.
 */
export function userChangedUserId(change: UserIdChange, id: string, at = new Date()) {
  return {
    messages: [
      {
        id,
        timestamp: seconds(at),
        type: 'system',
        system: {
          body: `User ${change.name} changed from ${change.previousUserId} to ${change.userId}`,
          ...userIdFields(change),
          type: 'user_changed_user_id',
        },
      },
    ],
  };
}

/**
 * A user changed their phone number, which regenerates their business-scoped user ID (System
 * messages webhook reference, `user_changed_number`; Changelog, Aug 11, 2026): `from` is the
 * old number, `system.wa_id` the new one, and `system` carries the previous and new BSUIDs as
 * for `user_changed_user_id`; no `contacts[]`.
 */
export function userChangedNumber(
  change: UserIdChange & { fromWaId: string; waId: string },
  id: string,
  at = new Date(),
) {
  return {
    messages: [
      {
        from: change.fromWaId,
        id,
        timestamp: seconds(at),
        type: 'system',
        system: {
          body: `User ${change.name} changed from ${change.fromWaId} to ${change.waId}`,
          wa_id: change.waId,
          ...userIdFields(change),
          type: 'user_changed_number',
        },
      },
    ],
  };
}

/** A status of a message we sent (`statuses[]`), optionally failed with a WhatsApp error. */
export function messageStatus(
  status: 'sent' | 'delivered' | 'read' | 'failed',
  message: { id: string; recipient: string; deliveryId?: string },
  at = new Date(),
  error?: { code: number; title: string; details: string },
) {
  return {
    statuses: [
      {
        id: message.id,
        status,
        timestamp: seconds(at),
        // A message sent to a BSUID is reported with `recipient_user_id`, without the phone's
        // `recipient_id` ("Business-scoped user IDs", status messages).
        ...(message.recipient.startsWith('+') || /^\d+$/.test(message.recipient)
          ? { recipient_id: message.recipient.replace(/^\+/, '') }
          : { recipient_user_id: message.recipient }),
        ...(message.deliveryId ? { biz_opaque_callback_data: message.deliveryId } : {}),
        ...(error
          ? {
              errors: [
                {
                  code: error.code,
                  title: error.title,
                  message: error.title,
                  error_data: { details: error.details },
                },
              ],
            }
          : {}),
      },
    ],
  };
}

/**
 * A Messenger Platform webhook (Messenger Platform, Webhooks, "Webhook events"): one entry for
 * the Page (`page`) or Instagram account (`instagram`) with its `messaging[]` events.
 */
export function messagingWebhook(
  object: 'page' | 'instagram',
  accountId: string,
  events: Record<string, unknown>[],
  at = new Date(),
): Record<string, unknown> {
  return { object, entry: [{ id: accountId, time: at.getTime(), messaging: events }] };
}

/** A `messages` event: a person (PSID or IGSID) writing to the Page or account. */
export function messagingText(
  personId: string,
  accountId: string,
  mid: string,
  text: string,
  at = new Date(),
): Record<string, unknown> {
  return {
    sender: { id: personId },
    recipient: { id: accountId },
    timestamp: at.getTime(),
    message: { mid, text },
  };
}

/** A `message_deliveries` event: `mids` (sometimes absent) and the `watermark`. */
export function messagingDelivery(
  personId: string,
  accountId: string,
  watermark: Date,
  mids?: string[],
): Record<string, unknown> {
  return {
    sender: { id: personId },
    recipient: { id: accountId },
    delivery: { ...(mids ? { mids } : {}), watermark: watermark.getTime() },
  };
}

/**
 * A read: Messenger's `message_reads` with a `watermark`, or Instagram's `messaging_seen` naming
 * the `mid` it saw.
 */
export function messagingRead(
  personId: string,
  accountId: string,
  read: { watermark: Date } | { mid: string },
  at = new Date(),
): Record<string, unknown> {
  return {
    sender: { id: personId },
    recipient: { id: accountId },
    timestamp: at.getTime(),
    read: 'watermark' in read ? { watermark: read.watermark.getTime() } : { mid: read.mid },
  };
}
