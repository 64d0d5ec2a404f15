import { twilioDefinition } from '../twilio/definition';

const MEGABYTE = 1024 * 1024;

/**
 * SMS and MMS through Twilio Programmable Messaging: a sender number or a Messaging Service,
 * the Account SID and auth token. Media goes as `MediaUrl` (MMS where the carrier takes it;
 * Twilio turns it into a link elsewhere when the Messaging Service's MMS converter is on).
 * Twilio reports delivery through status callbacks.
 * Media goes as MMS by `MediaUrl` (the signed link): Twilio takes JPEG, GIF and PNG as images
 * and accepts other types, all within 5 MB per message (Twilio Messaging, "Accepted content
 * types for media", "Media size limits").
 */
export const smsTwilioDefinition = twilioDefinition({
  type: 'sms',
  label: 'SMS (Twilio)',
  mediaLimits: {
    image: { contentTypes: ['image/jpeg', 'image/gif', 'image/png'], maxBytes: 5 * MEGABYTE },
    document: { contentTypes: [], maxBytes: 5 * MEGABYTE },
  },
  api: { key: 'sms', settingsType: 'SmsChannelSettings', credentialsInput: 'SmsCredentialsInput' },
});
