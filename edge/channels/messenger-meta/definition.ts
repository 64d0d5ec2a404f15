import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { numericId, secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * Messenger through Meta's Messenger Platform (Send API, `POST /<version>/me/messages` with the
 * Page access token). Attachments up to 25 MB by URL (Messenger Platform, Send API, "Sending
 * attachments"). The adapter and callbacks come with the Messenger integration; until then
 * this channel can be connected and used in steps, and sends report it as not available.
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
  deliveryReceipts: true,
  credentialsRequired: true,
  api: {
    key: 'messenger',
    settingsType: 'MessengerChannelSettings',
    credentialsInput: 'MessengerCredentialsInput',
  },
  settings: { pageId: numericId({ required: true }) },
  credentials: { pageAccessToken: secret({ required: true }) },
} satisfies ChannelDefinition;
