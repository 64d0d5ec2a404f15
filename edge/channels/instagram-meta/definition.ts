import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { numericId, secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * Instagram Direct through the Messenger Platform's Instagram API: the Instagram professional
 * account is linked to a Facebook Page, and the Send API (`POST /<version>/me/messages` with
 * that Page's access token) sends as the account to a person's Instagram-scoped id (IGSID)
 * (Messenger Platform, Instagram, "Send a Message"). Text and images by URL (PNG or JPEG up
 * to 8 MB). Webhooks (`object: "instagram"`) name the account by its id; Instagram reports
 * reads (`messaging_seen`) but no deliveries, so steps route on acceptance.
 */
export const instagramMetaDefinition = {
  type: 'instagram',
  provider: 'meta',
  label: 'Instagram (Meta)',
  capability: CHANNEL_CAPABILITIES.instagram,
  mediaLimits: {
    image: { contentTypes: ['image/jpeg', 'image/png'], maxBytes: 8 * MEGABYTE },
  },
  sendRate: {
    messagesPerSecond: 300,
    doc: 'Messenger Platform, Rate limits, Messenger API for Instagram, Send API: 300 calls per second per Instagram Professional account for text, links, reactions and stickers',
  },
  deliveryReceipts: false,
  credentialsRequired: true,
  api: {
    key: 'instagram',
    settingsType: 'InstagramChannelSettings',
    credentialsInput: 'InstagramCredentialsInput',
  },
  settings: {
    instagramAccountId: numericId({
      required: true,
      description: 'The Instagram professional account id (webhooks name it in entry.id).',
    }),
    pageId: numericId({
      required: true,
      description: 'The id of the Facebook Page linked to the Instagram account.',
    }),
  },
  credentials: {
    pageAccessToken: secret({
      required: true,
      description: 'An access token of the linked Page with instagram_manage_messages.',
    }),
    appSecret: secret({
      required: true,
      description: "The Meta app's secret: verifies the X-Hub-Signature-256 of webhooks.",
    }),
  },
} satisfies ChannelDefinition;
