import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { secret } from '../fields';
import { WHATSAPP_CAPTION_LIMIT, WHATSAPP_MEDIA_LIMITS } from '../whatsapp-meta/definition';

/**
 * WhatsApp through 360dialog: the Cloud API with 360dialog's API key (one key per WhatsApp
 * number, generated in the 360dialog Hub). WhatsApp's rules hold as through Meta: the 24-hour
 * window, templates by name and language, the same media types and sizes and caption limit; statuses and
 * inbound messages arrive in the Cloud API's webhook format.
 */
export const whatsapp360dialogDefinition = {
  type: 'whatsapp',
  provider: 'dialog360',
  label: 'WhatsApp (360dialog)',
  capability: CHANNEL_CAPABILITIES.whatsapp,
  mediaLimits: WHATSAPP_MEDIA_LIMITS,
  captionLimit: WHATSAPP_CAPTION_LIMIT,
  sendRate: {
    messagesPerSecond: 80,
    doc: '360dialog, Messaging Throughput: accounts with Cloud API hosting "can handle up to 80 messages per second" (1,000 on the High Throughput Plan)',
  },
  deliveryReceipts: true,
  credentialsRequired: true,
  api: {
    key: 'whatsapp360dialog',
    settingsType: 'WhatsApp360dialogChannelSettings',
    credentialsInput: 'WhatsApp360dialogCredentialsInput',
  },
  settings: {},
  credentials: {
    apiKey: secret({
      required: true,
      description: "The number's 360dialog API key (360dialog Hub → API keys).",
    }),
  },
} satisfies ChannelDefinition;
