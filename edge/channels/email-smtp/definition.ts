import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition, FieldEnum, Parsed } from '../definition';
import { emailAddress, integer, oneOf, secret, serverHost, singleLine } from '../fields';
import type { SmtpAuthMethod, SmtpSecurity } from '../smtp/client';

/** The SMTP security modes (the one list), with what each means. */
export const SMTP_SECURITY = {
  name: 'SmtpSecurity',
  description:
    'NONE: plain SMTP; STARTTLS: upgrade after connecting (587); TLS: implicit TLS (465).',
  values: {
    none: 'Plain SMTP, no encryption (local relays only).',
    starttls: 'Upgrade to TLS after connecting, required once configured (RFC 3207; port 587).',
    tls: 'Implicit TLS from the first byte (RFC 8314 §3.3; port 465).',
  } satisfies Record<SmtpSecurity, string>,
} as const satisfies FieldEnum;

/** The SASL mechanisms the client speaks (RFC 4954 AUTH with PLAIN, RFC 4616, or LOGIN). */
export const SMTP_AUTH_METHODS = {
  name: 'SmtpAuthMethod',
  description: 'How the SMTP client logs in; PLAIN unless the server only offers LOGIN.',
  values: {
    plain: 'AUTH PLAIN (RFC 4616).',
    login: 'AUTH LOGIN, for servers that offer nothing else.',
  } satisfies Record<SmtpAuthMethod, string>,
} as const satisfies FieldEnum;

/** Highest TCP port number. */
const MAX_PORT = 65_535;

/**
 * Email over SMTP, spoken from the Worker over TCP (edge/channels/smtp/). Media goes out as a
 * link in the body, so there are no media limits; SMTP acceptance is the last news we get
 * (no delivery receipts).
 */
export const emailSmtpDefinition = {
  type: 'email',
  provider: 'smtp',
  label: 'Email (SMTP)',
  capability: CHANNEL_CAPABILITIES.email,
  mediaLimits: null,
  deliveryReceipts: false,
  credentialsRequired: false,
  api: {
    key: 'email',
    settingsType: 'EmailChannelSettings',
    credentialsInput: 'SmtpCredentialsInput',
  },
  settings: {
    host: serverHost({ required: true, description: 'The SMTP server: a host name or IP.' }),
    port: integer({ required: true, min: 1, max: MAX_PORT }),
    security: oneOf(SMTP_SECURITY, { required: true, fallback: 'starttls' }),
    fromAddress: emailAddress({ required: true }),
    // The name goes into the From header, where a line break would inject headers.
    fromName: singleLine({ required: false }),
    authMethod: oneOf(SMTP_AUTH_METHODS, { required: false }),
    heloName: singleLine({
      required: false,
      description: 'The name given in EHLO; the from-address domain when absent.',
    }),
  },
  credentials: {
    username: secret({ required: true }),
    password: secret({ required: true }),
  },
} satisfies ChannelDefinition;

/** An email channel's settings as stored and as the adapter reads them. */
export type SmtpSettings = Parsed<typeof emailSmtpDefinition.settings>;
