import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { CaptionLimit, ChannelDefinition, MediaLimits, Parsed } from '../definition';
import { numericId, secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * What the Cloud API accepts per media message type (WhatsApp Cloud API, Media, "Supported
 * media types"): images JPEG/PNG up to 5 MB, video MP4/3GPP up to 16 MB, audio AAC/AMR/MP3/
 * MP4/OGG (Opus) up to 16 MB, documents (text, PDF, Office) up to 100 MB.
 */
export const WHATSAPP_MEDIA_LIMITS: MediaLimits = {
  image: { contentTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MEGABYTE },
  video: { contentTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MEGABYTE },
  audio: {
    contentTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
    maxBytes: 16 * MEGABYTE,
  },
  document: {
    contentTypes: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MEGABYTE,
  },
};

/**
 * Media captions: "Maximum 1024 characters" (WhatsApp Cloud API, Messages, "Image messages",
 * "Video messages", "Document messages": `caption`); audio messages take no caption ("Audio
 * messages" has no `caption`), so an audio file's caption follows it as a text of its own
 * (edge/channels/audio-caption.ts). 360dialog sends the same Cloud API body, so the same limit
 * holds there.
 */
export const WHATSAPP_CAPTION_LIMIT: CaptionLimit = {
  maxLength: 1024,
  kinds: ['image', 'video', 'document'],
};

/**
 * WhatsApp through Meta's Cloud API: send as the business phone number (`phoneNumberId`),
 * templates from the WhatsApp Business Account (`businessAccountId`), a system-user access
 * token, and the app secret that signs the webhooks Meta sends us. Meta reports sent,
 * delivered, read and failed for every message.
 */
export const whatsappMetaDefinition = {
  type: 'whatsapp',
  provider: 'meta',
  label: 'WhatsApp (Meta Cloud API)',
  capability: CHANNEL_CAPABILITIES.whatsapp,
  mediaLimits: WHATSAPP_MEDIA_LIMITS,
  captionLimit: WHATSAPP_CAPTION_LIMIT,
  sendRate: {
    messagesPerSecond: 80,
    doc: 'WhatsApp Cloud API, Throughput: "up to 80 messages per second (mps) by default" per business phone number (1,000 after Meta\'s automatic upgrade; 130429 past it)',
  },
  deliveryReceipts: true,
  credentialsRequired: true,
  api: {
    key: 'whatsapp',
    settingsType: 'WhatsAppChannelSettings',
    credentialsInput: 'WhatsAppCredentialsInput',
  },
  settings: {
    phoneNumberId: numericId({
      required: true,
      description: 'The business phone number id (WhatsApp Manager, API Setup).',
    }),
    businessAccountId: numericId({
      required: true,
      nullableOutput: true,
      description: 'The WhatsApp Business Account id; its approved templates are checked.',
    }),
  },
  credentials: {
    accessToken: secret({
      required: true,
      description: 'A system user access token with whatsapp_business_messaging.',
    }),
    appSecret: secret({
      required: true,
      description: "The Meta app's secret: verifies the X-Hub-Signature-256 of webhooks.",
    }),
  },
} satisfies ChannelDefinition;

export type WhatsAppSettings = Parsed<typeof whatsappMetaDefinition.settings>;
export type WhatsAppCredentials = Parsed<typeof whatsappMetaDefinition.credentials>;
