import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * Telegram through the Bot API with the bot's token. Files sent by URL: photos up to 5 MB, other
 * files up to 20 MB (Bot API, "Sending files"). Telegram has no delivery receipts. The adapter
 * and callbacks come with the Telegram integration.
 */
export const telegramBotDefinition = {
  type: 'telegram',
  provider: 'telegram',
  label: 'Telegram (Bot API)',
  capability: CHANNEL_CAPABILITIES.telegram,
  mediaLimits: {
    image: {
      contentTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'],
      maxBytes: 5 * MEGABYTE,
    },
    document: { contentTypes: [], maxBytes: 20 * MEGABYTE },
  },
  deliveryReceipts: false,
  credentialsRequired: true,
  api: {
    key: 'telegram',
    settingsType: 'TelegramChannelSettings',
    credentialsInput: 'TelegramCredentialsInput',
  },
  settings: {},
  credentials: { botToken: secret({ required: true }) },
} satisfies ChannelDefinition;
