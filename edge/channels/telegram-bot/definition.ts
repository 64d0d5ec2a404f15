import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * Telegram through the Bot API with the bot's token from @BotFather (Bot API, "Authorizing
 * your bot": `123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11`; it goes into the URL path, so only
 * that shape is accepted). Files sent by URL: photos up to 5 MB, other files up to 20 MB (Bot
 * API, "Sending files"). Telegram has no delivery receipts.
 */
export const telegramBotDefinition = {
  type: 'telegram',
  provider: 'telegram',
  label: 'Telegram (Bot API)',
  capability: CHANNEL_CAPABILITIES.telegram,
  mediaLimits: {
    image: {
      contentTypes: ['image/jpeg', 'image/png', 'image/webp'],
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
  credentials: {
    botToken: secret({
      required: true,
      description: "The bot's token from @BotFather (123456:ABC-DEF…).",
      format: {
        pattern: /^\d{1,20}:[A-Za-z0-9_-]{20,100}$/,
        message: 'must be a bot token from @BotFather (digits, a colon, then the secret)',
      },
    }),
  },
} satisfies ChannelDefinition;
