import { v7 as uuidV7 } from 'uuid';
import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';

/** A LINE channel and messages for the tests, against test/fakes/line-messaging-api.ts. */
export const LINE_TEST = {
  accessToken: 'line-test-channel-access-token/0123456789+abc=',
  channelSecret: '0123456789abcdef0123456789abcdef',
  userId: 'U4af4980629a0c8e1b2d3f4a5b6c7d8e9',
} as const;

export function lineChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: 'channel-line',
    type: 'line',
    provider: 'line',
    name: 'LINE',
    settings: {},
    credentials: {
      channelAccessToken: LINE_TEST.accessToken,
      channelSecret: LINE_TEST.channelSecret,
    },
    ...overrides,
  };
}

/**
 * A message as dispatch hands it over: its delivery id (the retry key) a UUID version 7 made now,
 * as at a visit's first claim; `firstClaimAt` dates it earlier (retry-key.ts reads that time).
 */
export function lineMessage(
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
  firstClaimAt?: Date,
): OutboundMessage {
  return testOutboundMessage({ channel: lineChannel(), recipient: LINE_TEST.userId }, rendered, {
    deliveryId: firstClaimAt ? uuidV7({ msecs: firstClaimAt.getTime() }) : uuidV7(),
    ...overrides,
  });
}
