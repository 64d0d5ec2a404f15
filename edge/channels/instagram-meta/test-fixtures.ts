import { MESSENGER_TEST_PAGE } from '../messenger-meta/test-fixtures';
import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';

/**
 * An Instagram channel and messages for the adapter and callback tests: the Instagram account
 * linked to the test Page the Graph stand-in knows (messenger-meta/test-fixtures.ts).
 */

/** A person's Instagram-scoped id. */
export const TEST_IGSID = '7788990011223344';

export function instagramChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: '1c1d1e1f-2222-4333-8444-555566667777',
    type: 'instagram',
    provider: 'meta',
    name: 'Instagram',
    settings: {
      instagramAccountId: MESSENGER_TEST_PAGE.instagramAccountId,
      pageId: MESSENGER_TEST_PAGE.pageId,
    },
    credentials: {
      pageAccessToken: MESSENGER_TEST_PAGE.pageAccessToken,
      appSecret: MESSENGER_TEST_PAGE.appSecret,
    },
    ...overrides,
  };
}

export function instagramMessage(
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel: instagramChannel(), recipient: TEST_IGSID },
    rendered,
    overrides,
  );
}
