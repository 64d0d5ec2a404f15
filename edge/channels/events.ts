import type { InboundContent } from '../../db/schema/messages';
import type { FailureReason } from '../../workflow/types';

export type { InboundContent };

/**
 * What a provider's callbacks tell us, in one provider-neutral shape: each integration's
 * callbacks parse their payloads (after checking the signature) into these, and the rest of
 * the Worker never looks at a provider's payload again.
 */

/** A provider's news about a message we sent. */
export interface StatusEvent {
  kind: 'status';
  /** Stable across the provider's retries of the same notification (deduplication). */
  eventKey: string;
  channelId: string;
  /** The provider's id of our message (`wamid.…`, a Twilio SID). */
  providerMessageId: string;
  /** Our delivery id when the provider echoes it back (WhatsApp `biz_opaque_callback_data`). */
  deliveryId: string | null;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** When the provider says it happened (ISO 8601). */
  at: string;
  /** Why, for `failed`. */
  failure: { reason: FailureReason; detail: string } | null;
}

/** A message a contact sent to one of our channels. */
export interface InboundEvent {
  kind: 'inbound';
  eventKey: string;
  channelId: string;
  providerMessageId: string;
  /**
   * The contact's address on the channel (E.164 phone, PSID, chat id; a WhatsApp user's
   * business-scoped user ID when Meta withholds their phone), and their name. `otherAddress`,
   * when the provider names the sender both ways, is the other one (a WhatsApp user's BSUID
   * beside their phone): an identity at it is the sender's too.
   */
  from: { address: string; name: string | null; otherAddress?: string };
  at: string;
  content: InboundContent;
}

/**
 * A provider's news about every message sent to one contact up to a time (Messenger's delivery
 * and read watermarks: "all messages sent before this timestamp were delivered/read"), rather
 * than about one message.
 */
export interface WatermarkEvent {
  kind: 'watermark';
  /** Stable across the provider's retries of the same notification. */
  eventKey: string;
  channelId: string;
  /** The contact's address on the channel (PSID) whose messages it covers. */
  recipient: string;
  status: 'delivered' | 'read';
  /** Messages sent up to this time (ISO 8601) have that status. */
  at: string;
}

/**
 * A provider's news that a contact's address on a channel is now another (a WhatsApp user's
 * business-scoped user ID regenerated: WhatsApp Cloud API, System messages webhook reference,
 * `user_changed_user_id` and `user_changed_number`), so that sends keep reaching them.
 */
export interface AddressChangeEvent {
  kind: 'address_change';
  /** Stable across the provider's retries of the same notification. */
  eventKey: string;
  channelId: string;
  /** The address the contact had on the channel, and the one that replaces it. */
  previous: string;
  current: string;
  /** When the provider says it happened (ISO 8601). */
  at: string;
}

export type ChannelEvent = StatusEvent | InboundEvent | WatermarkEvent | AddressChangeEvent;

/**
 * How provider statuses rank: a status is applied only over a lower one, so notifications that
 * arrive late or twice never move a delivery back. `failed` outranks only `sent` (a delivered
 * message did not fail); `read` implies delivered (WhatsApp sends no `delivered` when a message
 * is read at once: Status messages webhook reference).
 */
export const STATUS_RANK: Record<StatusEvent['status'], number> = {
  sent: 1,
  delivered: 2,
  failed: 2,
  read: 3,
};
