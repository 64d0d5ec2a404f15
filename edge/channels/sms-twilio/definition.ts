import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { phoneNumber, secret } from '../fields';

/**
 * SMS through Twilio Programmable Messaging (Account SID and auth token, a sender number).
 * Media goes out as a link in the text; Twilio reports delivery through status callbacks. The
 * adapter and callbacks come with the Twilio integration.
 */
export const smsTwilioDefinition = {
  type: 'sms',
  provider: 'twilio',
  label: 'SMS (Twilio)',
  capability: CHANNEL_CAPABILITIES.sms,
  mediaLimits: null,
  deliveryReceipts: true,
  credentialsRequired: true,
  api: { key: 'sms', settingsType: 'SmsChannelSettings', credentialsInput: 'SmsCredentialsInput' },
  settings: { fromNumber: phoneNumber({ required: true, description: 'E.164' }) },
  credentials: {
    accountSid: secret({ required: true }),
    authToken: secret({ required: true }),
  },
} satisfies ChannelDefinition;
