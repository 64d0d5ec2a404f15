import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';

/** A Viber channel and messages for the tests, against test/fakes/viber-bot-api.ts. */
export const VIBER_TEST = {
  authToken: '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9',
  userId: '01234567890A=',
  senderName: 'Acme Support',
} as const;

export function viberChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: 'channel-viber',
    type: 'viber',
    provider: 'viber',
    name: 'Viber',
    settings: { senderName: VIBER_TEST.senderName },
    credentials: { authToken: VIBER_TEST.authToken },
    ...overrides,
  };
}

export function viberMessage(
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel: viberChannel(), recipient: VIBER_TEST.userId },
    rendered,
    overrides,
  );
}
