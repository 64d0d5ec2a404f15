import { vonageDefinition } from '../vonage/definition';

/** SMS through Vonage's Messages API (`channel: "sms"`); media goes as a link in the text. */
export const smsVonageDefinition = vonageDefinition({
  type: 'sms',
  label: 'SMS (Vonage)',
  mediaLimits: null,
  api: {
    key: 'smsVonage',
    settingsType: 'SmsVonageChannelSettings',
    credentialsInput: 'SmsVonageCredentialsInput',
  },
});
