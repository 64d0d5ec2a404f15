import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';
import type { VonageNetwork } from './definition';

/** Vonage ids for the adapter and callback tests (the key pair is made per test file). */
export const VONAGE_TEST_IDS = {
  applicationId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  fromNumber: '+447700900001',
  signatureSecret: 'test-vonage-signature-secret-0123456789',
} as const;

export function vonageChannel(
  network: VonageNetwork,
  privateKey: string,
  overrides: Partial<ChannelRecord> = {},
): ChannelRecord {
  return {
    id: `channel-${network}-vonage`,
    type: network,
    provider: 'vonage',
    name: `${network} through Vonage`,
    settings: {
      applicationId: VONAGE_TEST_IDS.applicationId,
      fromNumber: VONAGE_TEST_IDS.fromNumber,
    },
    credentials: { privateKey, signatureSecret: VONAGE_TEST_IDS.signatureSecret },
    ...overrides,
  };
}

export function vonageMessage(
  channel: ChannelRecord,
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel, recipient: '+447700900123', phone: '+447700900123' },
    rendered,
    overrides,
  );
}
