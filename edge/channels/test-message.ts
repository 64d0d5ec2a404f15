import type { ChannelRecord, OutboundMessage, RenderedMessage } from './types';

/**
 * Test support: a message as dispatch hands it to an adapter, for every integration's
 * test-fixtures.ts: a new delivery id, the test workspace, and Ada as the contact, with her
 * phone where the channel addresses her by it. `overrides` replace any of it.
 */
export function testOutboundMessage(
  to: { channel: ChannelRecord; recipient: string; phone?: string },
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return {
    deliveryId: crypto.randomUUID(),
    workspaceId: 'workspace-1',
    channel: to.channel,
    recipient: to.recipient,
    contact: { id: 'contact-1', firstName: 'Ada', ...(to.phone ? { phone: to.phone } : {}) },
    rendered,
    ...overrides,
  };
}
