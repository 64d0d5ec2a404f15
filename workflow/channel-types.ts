/**
 * The contact-facing networks a workspace can connect (the channel *type*). Which provider API
 * reaches a network (Meta's Cloud API or Twilio for WhatsApp, SMTP or Gmail for email) is a
 * separate choice made per channel; steps, windows and addressing only care about the type.
 */
export const CHANNEL_TYPES = [
  'email',
  'whatsapp',
  'messenger',
  'instagram',
  'telegram',
  'sms',
  'line',
  'viber',
  'custom',
] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Message content types; not every channel can send every type (see channel-capabilities). */
export const MESSAGE_TYPES = ['text', 'media', 'whatsapp_template', 'messenger_tagged'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
