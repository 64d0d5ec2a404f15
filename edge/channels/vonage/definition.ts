import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ApiNames, ChannelDefinition, MediaLimits, Parsed } from '../definition';
import { matching, phoneNumber, secret } from '../fields';

/**
 * What a Vonage Messages API integration is configured with: the Vonage application (its id;
 * its private key signs our JWTs; its Inbound and Status URLs are set to the channel's callback
 * URL), the sender number, and the account's signature secret, which signs the webhooks
 * (Vonage docs, "Messages API: Authentication", "Signed webhooks").
 */
export const VONAGE_SETTINGS = {
  applicationId: matching({
    required: true,
    pattern: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    expected: "the Vonage application's id (a UUID)",
    description: 'The Vonage application messages are sent as.',
  }),
  fromNumber: phoneNumber({
    required: true,
    // Shown as nullable like Twilio's (optional there): one field name, one type in the union.
    nullableOutput: true,
    description: 'The Vonage number (E.164) linked to the application.',
  }),
};

export const VONAGE_CREDENTIALS = {
  privateKey: secret({
    required: true,
    description: "The application's private key (PEM), which signs the JWT of every send.",
  }),
  signatureSecret: secret({
    required: true,
    description: "The account's signature secret: verifies the JWT on Vonage's webhooks.",
  }),
};

export type VonageSettings = Parsed<typeof VONAGE_SETTINGS>;
export type VonageNetwork = 'sms' | 'whatsapp';

export function vonageDefinition<T extends VonageNetwork>(options: {
  type: T;
  label: string;
  mediaLimits: MediaLimits;
  api: ApiNames;
}) {
  return {
    type: options.type,
    provider: 'vonage',
    label: options.label,
    capability: CHANNEL_CAPABILITIES[options.type],
    mediaLimits: options.mediaLimits,
    deliveryReceipts: true,
    credentialsRequired: true,
    api: options.api,
    settings: VONAGE_SETTINGS,
    credentials: VONAGE_CREDENTIALS,
  } satisfies ChannelDefinition<typeof VONAGE_SETTINGS, typeof VONAGE_CREDENTIALS>;
}
