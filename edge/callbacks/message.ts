import { storableText } from '../../db/rows';
import { MAX_ADDRESS_LENGTH } from '../../workflow/channel-addresses';
import { isUuid } from '../../workflow/ids';
import { FAILURE_REASONS, type FailureReason } from '../../workflow/types';
import type { ChannelEvent, InboundContent } from '../channels/events';

/**
 * What travels on the callbacks queue (`sendflow-callbacks`): one provider-neutral event per
 * message, versioned, so that every provider's callback route feeds the same consumer.
 */
export interface ChannelEventMessage {
  v: 1;
  event: ChannelEvent;
}

/** The queue message for one event. */
export function channelEventMessage(event: ChannelEvent): ChannelEventMessage {
  return { v: 1, event };
}

/**
 * Cloudflare Queues take at most 100 messages and 256 KB in one `sendBatch` (Queues, "Limits":
 * "Per-queue message batch size 100 messages / 256 KB"; Miniflare refuses a batch over 256,000
 * bytes). A webhook of many long messages (Meta batches up to 1,000 updates in 3 MB, LINE several
 * events) goes in as many batches as it needs. A message's size is estimated as two bytes per
 * UTF-16 unit of its JSON: the queue counts the V8 serialisation, which stores a string with
 * any character beyond Latin-1 at two bytes a unit (so UTF-8, one byte for ASCII, could count
 * half of it); the margin covers per-message overhead.
 */
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 192_000;

/** The queue messages for `events`, in order, split into batches `sendBatch` takes. */
export function channelEventBatches(events: readonly ChannelEvent[]): ChannelEventMessage[][] {
  const batches: ChannelEventMessage[][] = [];
  let batch: ChannelEventMessage[] = [];
  let bytes = 0;
  for (const event of events) {
    const message = channelEventMessage(event);
    const size = 2 * JSON.stringify(message).length;
    if (
      batch.length > 0 &&
      (batch.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)
    ) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

type Json = Record<string, unknown>;

function text(value: unknown): value is string {
  return typeof value === 'string';
}

/**
 * Whether `value` can key an identity or an inbound message: a unique index holds it (a btree
 * entry is at most about 2.7 KB), and Postgres text holds no NUL. Addresses are at most
 * `MAX_ADDRESS_LENGTH` characters, as the API takes them; a provider's message id at most 512.
 * A longer one (no provider sends one) would fail the statement and with it the whole batch.
 */
function isStorableKey(value: unknown, maxLength: number): value is string {
  return text(value) && value !== '' && value.length <= maxLength && storableText(value) === value;
}

/** Longest provider message id an inbound message is stored under. */
const MAX_PROVIDER_MESSAGE_ID_LENGTH = 512;

/**
 * An event's time as ISO 8601 in UTC, or null: years 1 to 9999 only, as Postgres reads them
 * (an ISO string of a later year, `+033658-…`, which a JS Date can hold, fails the statement and
 * with it the whole batch).
 */
function isoTime(value: unknown): string | null {
  if (!text(value)) return null;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return null;
  const year = new Date(time).getUTCFullYear();
  return year >= 1 && year <= 9999 ? new Date(time).toISOString() : null;
}

const STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;
const CONTENT_TYPES = ['text', 'media', 'other'] as const;

function failure(value: unknown): { reason: FailureReason; detail: string } | null | undefined {
  if (value === null) return null;
  const fields = value as Json | undefined;
  if (
    !fields ||
    !FAILURE_REASONS.includes(fields.reason as FailureReason) ||
    !text(fields.detail)
  ) {
    return undefined;
  }
  return { reason: fields.reason as FailureReason, detail: fields.detail };
}

/** The event in a queue message body, or null when it is not one (dropped and logged). */
export function parseChannelEventMessage(body: unknown): ChannelEvent | null {
  const message = body as Json | null;
  if (message?.v !== 1 || !message.event || typeof message.event !== 'object') {
    return null;
  }
  const event = message.event as Json;
  const at = isoTime(event.at);
  if (!text(event.eventKey) || !isUuid(event.channelId) || !at) return null;
  if (event.kind === 'watermark') {
    if (!isStorableKey(event.recipient, MAX_ADDRESS_LENGTH)) return null;
    if (event.status !== 'delivered' && event.status !== 'read') return null;
    return {
      kind: 'watermark',
      eventKey: event.eventKey,
      channelId: event.channelId,
      recipient: event.recipient,
      status: event.status,
      at,
    };
  }
  if (event.kind === 'address_change') {
    if (!isStorableKey(event.previous, MAX_ADDRESS_LENGTH)) return null;
    if (!isStorableKey(event.current, MAX_ADDRESS_LENGTH) || event.previous === event.current) {
      return null;
    }
    return {
      kind: 'address_change',
      eventKey: event.eventKey,
      channelId: event.channelId,
      previous: event.previous,
      current: event.current,
      at,
    };
  }
  if (!text(event.providerMessageId)) return null;
  if (event.kind === 'status') {
    const parsedFailure = failure(event.failure);
    if (
      !STATUSES.includes(event.status as (typeof STATUSES)[number]) ||
      parsedFailure === undefined
    ) {
      return null;
    }
    return {
      kind: 'status',
      eventKey: event.eventKey,
      channelId: event.channelId,
      providerMessageId: event.providerMessageId,
      deliveryId: isUuid(event.deliveryId) ? event.deliveryId : null,
      status: event.status as (typeof STATUSES)[number],
      at,
      failure: parsedFailure,
    };
  }
  if (event.kind === 'inbound') {
    const from = event.from as Json | undefined;
    const content = event.content as Json | undefined;
    if (!from || !isStorableKey(from.address, MAX_ADDRESS_LENGTH)) return null;
    if (!isStorableKey(event.providerMessageId, MAX_PROVIDER_MESSAGE_ID_LENGTH)) return null;
    if (!content || !CONTENT_TYPES.includes(content.type as (typeof CONTENT_TYPES)[number])) {
      return null;
    }
    // Another address of the sender that cannot key an identity is dropped, not the message.
    const otherAddress =
      isStorableKey(from.otherAddress, MAX_ADDRESS_LENGTH) && from.otherAddress !== from.address
        ? { otherAddress: from.otherAddress }
        : {};
    return {
      kind: 'inbound',
      eventKey: event.eventKey,
      channelId: event.channelId,
      providerMessageId: event.providerMessageId,
      from: { address: from.address, name: text(from.name) ? from.name : null, ...otherAddress },
      at,
      content: content as unknown as InboundContent,
    };
  }
  return null;
}
