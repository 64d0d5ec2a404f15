import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition, Parsed } from '../definition';
import { numericId, secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * Messenger through Meta's Messenger Platform: the Send API (`POST /<version>/<page-id>/messages`
 * with the Page access token) sends as the Page; the app secret verifies the webhooks Meta sends
 * (messages, message_deliveries, message_reads). Attachments go by URL, up to 25 MB
 * (Messenger Platform, Send API, "Sending attachments").
 */
export const messengerMetaDefinition = {
  type: 'messenger',
  provider: 'meta',
  label: 'Messenger (Meta)',
  capability: CHANNEL_CAPABILITIES.messenger,
  mediaLimits: {
    image: { contentTypes: ['image/jpeg', 'image/png', 'image/gif'], maxBytes: 25 * MEGABYTE },
    video: { contentTypes: ['video/mp4'], maxBytes: 25 * MEGABYTE },
    audio: { contentTypes: ['audio/mpeg', 'audio/mp4', 'audio/aac'], maxBytes: 25 * MEGABYTE },
    document: { contentTypes: ['application/pdf'], maxBytes: 25 * MEGABYTE },
  },
  sendRate: {
    messagesPerSecond: 300,
    doc: 'Messenger Platform, Rate limits, Send API: "300 calls per second per Facebook Page" for text, links, reactions and stickers (10 for audio or video)',
  },
  deliveryReceipts: true,
  credentialsRequired: true,
  api: {
    key: 'messenger',
    settingsType: 'MessengerChannelSettings',
    credentialsInput: 'MessengerCredentialsInput',
  },
  settings: {
    pageId: numericId({
      required: true,
      description: 'The Facebook Page id the channel sends as (Page settings, About).',
    }),
  },
  credentials: {
    pageAccessToken: secret({
      required: true,
      description: 'A Page access token with pages_messaging.',
    }),
    appSecret: secret({
      required: true,
      description: "The Meta app's secret: verifies the X-Hub-Signature-256 of webhooks.",
    }),
  },
} satisfies ChannelDefinition;

export type MessengerSettings = Parsed<typeof messengerMetaDefinition.settings>;
