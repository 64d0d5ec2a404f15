import type { ChannelIntegration } from '../integration';
import { telegramBotAdapter } from './adapter';
import { telegramBotCallbacks } from './callbacks';
import { telegramBotConnection } from './connection';
import { telegramBotDefinition } from './definition';

/** Telegram through the Bot API: sends, the webhook (set on connect) and inbound messages. */
export const telegramBotIntegration: ChannelIntegration = {
  definition: telegramBotDefinition,
  adapter: telegramBotAdapter,
  callbacks: telegramBotCallbacks,
  connection: telegramBotConnection,
};
