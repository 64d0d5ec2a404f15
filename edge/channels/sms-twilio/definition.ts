import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { phoneNumber, secret } from '../fields';

const MEGABYTE = 1024 * 1024;

/**
 * SMS through Twilio Programmable Messaging (Account SID and auth token, a sender number).
 * Media goes out as MMS by `MediaUrl` (the signed link): Twilio takes JPEG, GIF and PNG as
 * images and accepts other types, all within 5 MB per message (Twilio Messaging, "Accepted
 * content types for media", "Media size limits"). Twilio reports delivery through status
 * callbacks. The adapter and callbacks come with the Twilio integration.
 */
export const smsTwilioDefinition = {
  type: 'sms',
  provider: 'twilio',
  label: 'SMS (Twilio)',
  capability: CHANNEL_CAPABILITIES.sms,
  mediaLimits: {
    image: { contentTypes: ['image/jpeg', 'image/gif', 'image/png'], maxBytes: 5 * MEGABYTE },
    document: { contentTypes: [], maxBytes: 5 * MEGABYTE },
  },
  deliveryReceipts: true,
  credentialsRequired: true,
  api: { key: 'sms', settingsType: 'SmsChannelSettings', credentialsInput: 'SmsCredentialsInput' },
  settings: { fromNumber: phoneNumber({ required: true, description: 'E.164' }) },
  credentials: {
    accountSid: secret({ required: true }),
    authToken: secret({ required: true }),
  },
} satisfies ChannelDefinition;
