import type { Message } from '@cloudflare/workers-types/latest';
import type { Database } from '../../db/client';
import type {
  AddressChangeEvent,
  InboundEvent,
  StatusEvent,
  WatermarkEvent,
} from '../channels/events';
import type { Settlement } from '../dispatch/attempt';
import { type DispatchSender, enqueueRuns } from '../dispatch/enqueue';
import type { EventPublisher } from '../events/types';
import { log } from '../log';
import { applyAddressChanges, recordInboundMessages } from './inbound';
import { parseChannelEventMessage } from './message';
import { applyStatusUpdates } from './status-updates';

/**
 * A status can arrive before the send that caused it is recorded (Meta answers fast, a batch
 * records after all its sends): such an event is retried after this many seconds times its
 * attempt number.
 */
export const STATUS_RETRY_SECONDS = 30;

/** Attempts before a status that never finds its delivery is dropped (not ours, or lost). */
export const MAX_STATUS_ATTEMPTS = 6;

/**
 * Consumes a batch of the callbacks queue (edge/callbacks/queues.ts) with a few statements:
 * contacts' changed addresses are applied first (a WhatsApp user's new business-scoped user ID),
 * inbound messages are recorded in one transaction, status events applied in one statement,
 * and runs that a final status woke (confirm delivery) are enqueued for dispatch to route.
 * Repeated events have one effect. An event whose delivery is not recorded yet is retried a
 * few times. Throws (the queue retries the batch) only when the database fails.
 *
 * The callbacks' dead letter queue (`sendflow-callbacks-dlq`) holds events whose batches kept
 * failing (the database was down for all their retries); it is consumed the same way with
 * `deadLettered`, once the database is back: inbound messages are recorded (once, as always),
 * statuses applied, and a status that still finds no delivery is dropped at once with a log line.
 */
export async function consumeChannelEvents(
  messages: readonly Message<unknown>[],
  deps: {
    db: Database;
    sender: DispatchSender;
    events?: EventPublisher;
    deadLettered?: boolean;
  },
): Promise<Map<Message<unknown>, Settlement>> {
  const settlements = new Map<Message<unknown>, Settlement>();
  const inbound = new Map<string, InboundEvent>();
  const statuses: { message: Message<unknown>; event: StatusEvent }[] = [];
  // Watermarks cover whatever is recorded by now; a message recorded later is left to the
  // next watermark, so they are never retried.
  const watermarks: WatermarkEvent[] = [];
  const addressChanges: AddressChangeEvent[] = [];
  for (const message of messages) {
    settlements.set(message, { kind: 'ack' });
    const event = parseChannelEventMessage(message.body);
    if (!event) {
      log('warn', 'callbacks: dropping a malformed event', { messageId: message.id });
    } else if (event.kind === 'inbound') {
      inbound.set(`${event.channelId}:${event.eventKey}`, event);
    } else if (event.kind === 'watermark') {
      watermarks.push(event);
    } else if (event.kind === 'address_change') {
      addressChanges.push(event);
    } else {
      statuses.push({ message, event });
    }
  }

  // Before the messages: one from a contact's new address in the same batch finds them by it.
  const readdressed = await applyAddressChanges(deps.db, addressChanges);
  const recorded = await recordInboundMessages(deps.db, [...inbound.values()]);
  const updates = await applyStatusUpdates(
    deps.db,
    [...statuses.map(({ event }) => event), ...watermarks],
    deps.events,
  );
  for (const { message, event } of statuses) {
    if (updates.matched.has(event.eventKey)) continue;
    if (!deps.deadLettered && message.attempts < MAX_STATUS_ATTEMPTS) {
      settlements.set(message, {
        kind: 'retry',
        delaySeconds: STATUS_RETRY_SECONDS * message.attempts,
      });
    } else {
      log('warn', 'callbacks: a status found no delivery; dropped', {
        channelId: event.channelId,
        providerMessageId: event.providerMessageId,
        status: event.status,
      });
    }
  }
  const enqueued = await enqueueRuns(deps.db, deps.sender, updates.woken);
  if (enqueued.error) {
    // The runs are due and committed: the sweep enqueues them.
    log('error', 'callbacks: enqueueing confirmed runs failed', { error: enqueued.error });
  }
  log('info', 'callbacks: batch processed', {
    events: messages.length,
    inboundRecorded: recorded,
    identitiesReaddressed: readdressed,
    statusesMatched: updates.matched.size,
    runsWoken: updates.woken.length,
  });
  return settlements;
}
