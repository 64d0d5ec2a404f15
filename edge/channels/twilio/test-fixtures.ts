import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';
import type { TwilioNetwork } from './definition';

/**
 * Twilio channels and messages for the adapter and callback tests, pointing at the stand-in
 * (test/fakes/twilio.ts) with the ids and secrets below.
 */
export const TWILIO_TEST_IDS = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'test-twilio-auth-token-0123456789',
  fromNumber: '+15005550006',
  messagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
} as const;

export function twilioChannel(
  network: TwilioNetwork,
  overrides: Partial<ChannelRecord> = {},
): ChannelRecord {
  return {
    id: `channel-${network}-twilio`,
    type: network,
    provider: 'twilio',
    name: `${network} through Twilio`,
    settings: { fromNumber: TWILIO_TEST_IDS.fromNumber },
    credentials: { accountSid: TWILIO_TEST_IDS.accountSid, authToken: TWILIO_TEST_IDS.authToken },
    ...overrides,
  };
}

export function twilioMessage(
  network: TwilioNetwork,
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel: twilioChannel(network), recipient: '+14155550123', phone: '+14155550123' },
    rendered,
    overrides,
  );
}
