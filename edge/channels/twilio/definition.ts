import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ApiNames, ChannelDefinition, MediaLimits, Parsed } from '../definition';
import { matching, phoneNumber, secret } from '../fields';

/**
 * What every Twilio Programmable Messaging integration is configured with (Twilio Docs,
 * Messaging, "Message resource": `From` or `MessagingServiceSid`; REST API "Authentication":
 * Account SID and auth token). The auth token also signs Twilio's webhooks.
 */
export const TWILIO_SETTINGS = {
  fromNumber: phoneNumber({
    required: false,
    description:
      'The Twilio number (E.164) messages come from; give it or a Messaging Service SID.',
  }),
  messagingServiceSid: matching({
    required: false,
    pattern: /^MG[0-9a-fA-F]{32}$/,
    expected: 'a Messaging Service SID (MG and 32 hex digits)',
    description: 'Send through this Messaging Service (Twilio picks the sender from its pool).',
  }),
};

export const TWILIO_CREDENTIALS = {
  accountSid: secret({ required: true, description: 'The Account SID (AC…).' }),
  authToken: secret({
    required: true,
    description: "The account's auth token: authenticates sends and verifies X-Twilio-Signature.",
  }),
};

export type TwilioSettings = Parsed<typeof TWILIO_SETTINGS>;

/** The sending networks Twilio reaches, as this deployment offers them. */
export type TwilioNetwork = 'sms' | 'whatsapp';

/** A Twilio integration for `type`: the shared fields with the network's label and limits. */
export function twilioDefinition<T extends TwilioNetwork>(options: {
  type: T;
  label: string;
  mediaLimits: MediaLimits;
  api: ApiNames;
}) {
  return {
    type: options.type,
    provider: 'twilio',
    label: options.label,
    capability: CHANNEL_CAPABILITIES[options.type],
    mediaLimits: options.mediaLimits,
    deliveryReceipts: true,
    credentialsRequired: true,
    api: options.api,
    settings: TWILIO_SETTINGS,
    credentials: TWILIO_CREDENTIALS,
    checkSettings(settings, issues, path) {
      // "Message resource": a message needs `From` or `MessagingServiceSid`.
      if (!settings.fromNumber && !settings.messagingServiceSid) {
        issues.add(
          'INVALID_VALUE',
          `${path}.fromNumber`,
          'fromNumber or messagingServiceSid is required',
        );
      }
    },
  } satisfies ChannelDefinition<typeof TWILIO_SETTINGS, typeof TWILIO_CREDENTIALS>;
}
