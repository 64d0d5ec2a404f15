/** The kinds of channel a workspace can connect. */
export const CHANNEL_TYPES = [
  'email',
  'whatsapp',
  'messenger',
  'telegram',
  'sms',
  'custom',
] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Message content types; not every channel can send every type (see channel-capabilities). */
export const MESSAGE_TYPES = ['text', 'media', 'whatsapp_template', 'messenger_tagged'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
