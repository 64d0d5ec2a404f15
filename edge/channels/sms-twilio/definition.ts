import { twilioDefinition } from '../twilio/definition';

/**
 * SMS and MMS through Twilio Programmable Messaging: a sender number or a Messaging Service,
 * the Account SID and auth token. Media goes as `MediaUrl` (MMS where the carrier takes it;
 * Twilio turns it into a link elsewhere when the Messaging Service's MMS converter is on).
 * Twilio reports delivery through status callbacks.
 */
export const smsTwilioDefinition = twilioDefinition({
  type: 'sms',
  label: 'SMS (Twilio)',
  mediaLimits: null,
  api: { key: 'sms', settingsType: 'SmsChannelSettings', credentialsInput: 'SmsCredentialsInput' },
});
