import type { ChannelType, MessageType } from './channel-types';

/**
 * A customer-service window: free-form messages only within `hours` of the contact's last
 * inbound message; `exemptTypes` may be sent at any time.
 */
export interface MessagingWindow {
  hours: number;
  exemptTypes: readonly MessageType[];
  /** How the exempt types are named in messages shown to people ("a template"); null: none. */
  exemptLabel: string | null;
}

/** What a kind of channel can send, and how it addresses a contact. */
export interface ChannelCapability {
  /** Names used in messages shown to people. */
  label: string;
  messageTypes: readonly MessageType[];
  window: MessagingWindow | null;
  /**
   * How the contact is addressed: their e-mail, their phone number, or an id the network
   * assigned (Messenger PSID, Instagram IGSID, Telegram chat id, LINE user id…). An identity
   * on the channel always wins over the contact's own field.
   */
  recipient: 'email' | 'phone' | 'identity';
  /** A custom channel addresses contacts by our own contact id unless told otherwise. */
  fallsBackToContactId: boolean;
}

/**
 * WhatsApp's customer service window: "you can only send free-form messages within 24 hours of
 * the user's last message; outside it only template messages" (WhatsApp Cloud API, Messages,
 * "Customer service windows"). Messenger's standard messaging window is the same 24 hours
 * (Messenger Platform, Send API, "Messaging window"), and Instagram messaging follows it.
 */
export const STANDARD_MESSAGING_WINDOW_HOURS = 24;

const FREE_FORM: readonly MessageType[] = ['text', 'media'];

/** What each kind of channel can send and how it reaches a contact. */
export const CHANNEL_CAPABILITIES: Record<ChannelType, ChannelCapability> = {
  email: {
    label: 'Email',
    messageTypes: FREE_FORM,
    window: null,
    recipient: 'email',
    fallsBackToContactId: false,
  },
  whatsapp: {
    label: 'WhatsApp',
    messageTypes: [...FREE_FORM, 'whatsapp_template'],
    window: {
      hours: STANDARD_MESSAGING_WINDOW_HOURS,
      exemptTypes: ['whatsapp_template'],
      exemptLabel: 'a template',
    },
    recipient: 'phone',
    fallsBackToContactId: false,
  },
  messenger: {
    label: 'Messenger',
    messageTypes: [...FREE_FORM, 'messenger_tagged'],
    window: {
      hours: STANDARD_MESSAGING_WINDOW_HOURS,
      exemptTypes: ['messenger_tagged'],
      exemptLabel: 'a tagged message',
    },
    recipient: 'identity',
    fallsBackToContactId: false,
  },
  instagram: {
    label: 'Instagram',
    messageTypes: FREE_FORM,
    window: { hours: STANDARD_MESSAGING_WINDOW_HOURS, exemptTypes: [], exemptLabel: null },
    recipient: 'identity',
    fallsBackToContactId: false,
  },
  telegram: {
    label: 'Telegram',
    messageTypes: FREE_FORM,
    window: null,
    recipient: 'identity',
    fallsBackToContactId: false,
  },
  // SMS sends media as a link to the file (MMS where the provider offers it).
  sms: {
    label: 'SMS',
    messageTypes: FREE_FORM,
    window: null,
    recipient: 'phone',
    fallsBackToContactId: false,
  },
  line: {
    label: 'LINE',
    messageTypes: FREE_FORM,
    window: null,
    recipient: 'identity',
    fallsBackToContactId: false,
  },
  viber: {
    label: 'Viber',
    messageTypes: FREE_FORM,
    window: null,
    recipient: 'identity',
    fallsBackToContactId: false,
  },
  custom: {
    label: 'the custom channel',
    messageTypes: FREE_FORM,
    window: null,
    recipient: 'identity',
    fallsBackToContactId: true,
  },
};

/** Names used in messages shown to people. */
export const CHANNEL_LABELS: Record<ChannelType, string> = Object.fromEntries(
  Object.entries(CHANNEL_CAPABILITIES).map(([type, capability]) => [type, capability.label]),
) as Record<ChannelType, string>;

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
