import type { ChannelType, MessageType } from './channel-types';

/** What a kind of channel can send, and how it addresses a contact. */
export interface ChannelCapability {
  messageTypes: readonly MessageType[];
  /** Hours after the contact's last inbound message during which free-form messages may be sent. */
  messagingWindowHours: number | null;
  /**
   * How the contact is addressed: their e-mail, their phone number, or an id the channel
   * assigned (Messenger PSID, Telegram chat id, a custom channel's contact id).
   */
  recipient: 'email' | 'phone' | 'identity';
}

/** WhatsApp's and Messenger's customer-service window (24 hours after the last inbound message). */
export const STANDARD_MESSAGING_WINDOW_HOURS = 24;

/** What each kind of channel can send and how it reaches a contact. */
export const CHANNEL_CAPABILITIES: Record<ChannelType, ChannelCapability> = {
  email: { messageTypes: ['text', 'media'], messagingWindowHours: null, recipient: 'email' },
  whatsapp: {
    messageTypes: ['text', 'media', 'whatsapp_template'],
    messagingWindowHours: STANDARD_MESSAGING_WINDOW_HOURS,
    recipient: 'phone',
  },
  messenger: {
    messageTypes: ['text', 'media', 'messenger_tagged'],
    messagingWindowHours: STANDARD_MESSAGING_WINDOW_HOURS,
    recipient: 'identity',
  },
  telegram: { messageTypes: ['text', 'media'], messagingWindowHours: null, recipient: 'identity' },
  // SMS sends media as a link to the file.
  sms: { messageTypes: ['text', 'media'], messagingWindowHours: null, recipient: 'phone' },
  custom: { messageTypes: ['text', 'media'], messagingWindowHours: null, recipient: 'identity' },
};

/** Names used in messages shown to people. */
export const CHANNEL_LABELS: Record<ChannelType, string> = {
  email: 'Email',
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  telegram: 'Telegram',
  sms: 'SMS',
  custom: 'the custom channel',
};

/** Human names for message types, for messages shown to people. */
export const MESSAGE_TYPE_LABELS: Record<MessageType, string> = {
  text: 'text message',
  media: 'media message',
  whatsapp_template: 'WhatsApp template',
  messenger_tagged: 'Messenger tagged message',
};

/** True when a channel of `channelType` can send `messageType`. */
export function canSend(channelType: ChannelType, messageType: MessageType): boolean {
  const capability = CHANNEL_CAPABILITIES[channelType];
  return capability?.messageTypes.includes(messageType) ?? false;
}
