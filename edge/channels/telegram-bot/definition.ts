import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * Documents Telegram fetches by URL (Bot API, "Sending files": "In sendDocument, sending by URL
 * will currently only work for GIF, PDF and ZIP files"); a ZIP may be labelled either way.
 */
export const TELEGRAM_URL_DOCUMENT_TYPES: readonly string[] = [
  'application/pdf',
  'application/zip',
  'application/x-zip-compressed',
  'image/gif',
];

/**
 * Telegram through the Bot API with the bot's token from @BotFather (Bot API, "Authorizing
 * your bot": `123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11`; it goes into the URL path, so only
 * that shape is accepted). Files sent by URL: photos up to 5 MB, other files up to 20 MB, and
 * "in sendDocument, sending by URL will currently only work for GIF, PDF and ZIP files" (Bot
 * API, "Sending files"), so those are the only documents taken. Telegram has no delivery
 * receipts.
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
    document: { contentTypes: TELEGRAM_URL_DOCUMENT_TYPES, maxBytes: 20 * MEGABYTE },
  },
  // "0-1024 characters after entities parsing" (Bot API, "sendPhoto" and "sendDocument":
  // `caption`); message-body.ts checks the rendered caption against the same number.
  captionLimit: { maxLength: 1024, kinds: ['image', 'document'] },
  sendRate: {
    messagesPerSecond: 30,
    doc: 'Telegram Bot FAQ, "My bot is hitting limits": bulk notifications, "not more than 30 messages per second or so"',
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
