import type { ChannelIntegration } from '../integration';
import { telegramBotDefinition } from './definition';

/** Telegram through the Bot API (definition only so far). */
export const telegramBotIntegration: ChannelIntegration = { definition: telegramBotDefinition };
