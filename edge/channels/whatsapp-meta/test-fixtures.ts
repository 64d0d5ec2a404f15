import type { GraphTemplate } from '../../../test/fakes/meta-graph';
import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';

/**
 * A WhatsApp channel and messages for the adapter and callback tests, pointing at the Graph
 * stand-in (test/fakes/meta-graph.ts) with the ids and secrets below.
 */
export const WHATSAPP_TEST_IDS = {
  phoneNumberId: '106540352242922',
  businessAccountId: '102290129340398',
  accessToken: 'EAAtest-whatsapp-access-token',
  appSecret: 'test-app-secret-0123456789',
} as const;

/** The Graph API version the tests pin (the stand-in refuses others). */
export const TEST_GRAPH_VERSION = 'v26.0';

export function whatsappChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: 'channel-whatsapp',
    type: 'whatsapp',
    provider: 'meta',
    name: 'WhatsApp',
    settings: {
      phoneNumberId: WHATSAPP_TEST_IDS.phoneNumberId,
      businessAccountId: WHATSAPP_TEST_IDS.businessAccountId,
    },
    credentials: {
      accessToken: WHATSAPP_TEST_IDS.accessToken,
      appSecret: WHATSAPP_TEST_IDS.appSecret,
    },
    ...overrides,
  };
}

export function whatsappMessage(
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel: whatsappChannel(), recipient: '+16505551234', phone: '+16505551234' },
    rendered,
    overrides,
  );
}

/** An approved template with a DOCUMENT header and `body` (as the Graph and 360dialog list it). */
export function documentHeaderTemplate(name: string, body: string): GraphTemplate {
  return {
    name,
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'DOCUMENT' },
      { type: 'BODY', text: body },
    ],
  };
}

/**
 * The Cloud API `template` object of a send of such a template ("Template messages"): the
 * document as the header's one parameter, then the body's text parameter.
 */
export function documentHeaderTemplateBody(
  name: string,
  document: { link: string; filename: string },
  bodyParameter: string,
) {
  return {
    name,
    language: { code: 'en' },
    components: [
      { type: 'header', parameters: [{ type: 'document', document }] },
      { type: 'body', parameters: [{ type: 'text', text: bodyParameter }] },
    ],
  };
}
