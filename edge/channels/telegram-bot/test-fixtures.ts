import { testOutboundMessage } from '../test-message';
import type { ChannelRecord, OutboundMessage, RenderedMessage } from '../types';

/** A Telegram channel and messages for the adapter tests, against test/fakes/telegram-bot-api.ts. */
export const TELEGRAM_TEST = {
  token: '7012345678:AAHtest-telegram-bot-token_0123456789',
  chatId: '523456789',
} as const;

export function telegramChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: 'channel-telegram',
    type: 'telegram',
    provider: 'telegram',
    name: 'Telegram',
    settings: {},
    credentials: { botToken: TELEGRAM_TEST.token },
    ...overrides,
  };
}

export function telegramMessage(
  rendered: RenderedMessage,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return testOutboundMessage(
    { channel: telegramChannel(), recipient: TELEGRAM_TEST.chatId },
    rendered,
    overrides,
  );
}
