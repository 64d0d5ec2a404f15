import { type GraphPage, type MetaGraph, startMetaGraph } from '../../../test/fakes/meta-graph';
import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';
import { TEST_GRAPH_VERSION, WHATSAPP_TEST_IDS } from '../whatsapp-meta/test-fixtures';

/**
 * A Messenger channel and messages for the adapter and callback tests, pointing at the Graph
 * stand-in (test/fakes/meta-graph.ts) with the Page below.
 */
export const MESSENGER_TEST_PAGE = {
  pageId: '112233445566778',
  pageAccessToken: 'EAAtest-page-access-token',
  appSecret: 'test-messenger-app-secret',
  name: 'Sendflow Coffee',
  instagramAccountId: '17841400000000001',
  instagramUsername: 'sendflow.coffee',
} as const;

/** The Page as the Graph stand-in knows it. */
export const MESSENGER_GRAPH_PAGE: GraphPage = {
  pageId: MESSENGER_TEST_PAGE.pageId,
  pageAccessToken: MESSENGER_TEST_PAGE.pageAccessToken,
  name: MESSENGER_TEST_PAGE.name,
  instagramAccountId: MESSENGER_TEST_PAGE.instagramAccountId,
  instagramUsername: MESSENGER_TEST_PAGE.instagramUsername,
};

/** The Graph stand-in at the pinned version, knowing the test Page (and the WhatsApp test ids). */
export function startMessengerGraph(): Promise<MetaGraph> {
  return startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    pages: [MESSENGER_GRAPH_PAGE],
  });
}

/** A person's Page-scoped id. */
export const TEST_PSID = '6543210987654321';

export function messengerChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: '0b0c0d0e-1111-4222-8333-444455556666',
    type: 'messenger',
    provider: 'meta',
    name: 'Messenger',
    settings: { pageId: MESSENGER_TEST_PAGE.pageId },
    credentials: {
      pageAccessToken: MESSENGER_TEST_PAGE.pageAccessToken,
      appSecret: MESSENGER_TEST_PAGE.appSecret,
    },
    ...overrides,
  };
}

export function messengerMessage(
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel: messengerChannel(), recipient: TEST_PSID },
    rendered,
    overrides,
  );
}
