import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * LINE through the Messaging API with a LINE Official Account's channel: the channel access
 * token (long-lived, from the LINE Developers Console, "Messaging API" tab) sends, and the
 * channel secret ("Basic settings" tab) verifies the `X-Line-Signature` of webhooks. Images go
 * by HTTPS URL, JPEG or PNG (Messaging API reference, "Image message"): `originalContentUrl`
 * takes up to 10 MB but `previewImageUrl` at most 1 MB, and the same file is both (we have no
 * separate preview), so images are limited to 1 MB. LINE reports no delivery to the sender: a
 * pushed message stays sent.
 */
export const lineMessagingDefinition = {
  type: 'line',
  provider: 'line',
  label: 'LINE (Messaging API)',
  capability: CHANNEL_CAPABILITIES.line,
  mediaLimits: {
    // "previewImageUrl … Max file size: 1 MB" ("Image message"); the preview is the image itself.
    image: { contentTypes: ['image/jpeg', 'image/png'], maxBytes: MEGABYTE },
  },
  sendRate: {
    messagesPerSecond: 2_000,
    doc: 'LINE Messaging API reference, Rate limits: "Other API endpoints" (the push message among them) 2,000 requests per second per channel',
  },
  deliveryReceipts: false,
  credentialsRequired: true,
  api: {
    key: 'line',
    settingsType: 'LineChannelSettings',
    credentialsInput: 'LineCredentialsInput',
  },
  settings: {},
  credentials: {
    channelAccessToken: secret({
      required: true,
      description: 'The channel access token (LINE Developers Console, Messaging API tab).',
    }),
    channelSecret: secret({
      required: true,
      description: 'The channel secret (Basic settings tab): verifies X-Line-Signature.',
      format: {
        pattern: /^[0-9a-f]{32}$/,
        message: 'must be the 32 hex digits of the channel secret',
      },
    }),
  },
} satisfies ChannelDefinition;
