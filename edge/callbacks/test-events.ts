import type { Database } from '../../db/client';
import type { ChannelEvent, InboundEvent } from '../channels/events';
import { queueMessage } from '../dispatch/test-seed';
import { consumeChannelEvents } from './consumer';
import { channelEventMessage } from './message';

/** Runs `events` through the callbacks consumer in Node, as queued; returns their settlements. */
export async function consumeEvents(db: Database, events: readonly ChannelEvent[]) {
  const settlements = await consumeChannelEvents(
    events.map((event, index) => queueMessage(channelEventMessage(event), index)),
    { db, sender: { send: async () => {} } },
  );
  return [...settlements.values()];
}

let sequence = 0;

/** A text message from `address` on `channelId`, with a provider id of its own. */
export function inboundText(
  channelId: string,
  address: string,
  {
    name = 'Sender',
    text = 'hello',
    at = new Date(),
  }: { name?: string; text?: string; at?: Date } = {},
): InboundEvent {
  sequence += 1;
  const id = `wamid.test.${Date.now()}.${sequence}`;
  return {
    kind: 'inbound',
    eventKey: id,
    channelId,
    providerMessageId: id,
    from: { address, name },
    at: at.toISOString(),
    content: { type: 'text', text },
  };
}
