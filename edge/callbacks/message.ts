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

type Json = Record<string, unknown>;

function text(value: unknown): value is string {
  return typeof value === 'string';
}

function isTime(value: unknown): value is string {
  return text(value) && !Number.isNaN(Date.parse(value));
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
  if (!text(event.eventKey) || !isUuid(event.channelId) || !isTime(event.at)) return null;
  if (event.kind === 'watermark') {
    if (!text(event.recipient) || event.recipient === '') return null;
    if (event.status !== 'delivered' && event.status !== 'read') return null;
    return {
      kind: 'watermark',
      eventKey: event.eventKey,
      channelId: event.channelId,
      recipient: event.recipient,
      status: event.status,
      at: event.at,
    };
  }
  if (event.kind === 'address_change') {
    if (!text(event.previous) || !text(event.current)) return null;
    if (event.previous === '' || event.current === '' || event.previous === event.current) {
      return null;
    }
    return {
      kind: 'address_change',
      eventKey: event.eventKey,
      channelId: event.channelId,
      previous: event.previous,
      current: event.current,
      at: event.at,
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
      at: event.at,
      failure: parsedFailure,
    };
  }
  if (event.kind === 'inbound') {
    const from = event.from as Json | undefined;
    const content = event.content as Json | undefined;
    if (!from || !text(from.address) || from.address === '') return null;
    if (!content || !CONTENT_TYPES.includes(content.type as (typeof CONTENT_TYPES)[number])) {
      return null;
    }
    return {
      kind: 'inbound',
      eventKey: event.eventKey,
      channelId: event.channelId,
      providerMessageId: event.providerMessageId,
      from: { address: from.address, name: text(from.name) ? from.name : null },
      at: event.at,
      content: content as unknown as InboundContent,
    };
  }
  return null;
}
