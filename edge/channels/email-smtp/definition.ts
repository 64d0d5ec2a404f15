import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition, Field, FieldEnum, Parsed } from '../definition';
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

// What EHLO takes (RFC 5321 §4.1.1.1, §4.1.2, §4.1.3): a Domain (letter-digit-hyphen labels, no
// hyphen at either end) or an address literal, `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
const EHLO_DOMAIN =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const EHLO_ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;

/**
 * The EHLO name: one line (singleLine), and a Domain or address literal, since it goes out as
 * `EHLO <name>` and a second word, raw UTF-8 or stray brackets make servers refuse the session.
 */
function ehloName(options: { required: boolean; description?: string }): Field<string | null> {
  const line = singleLine(options);
  return {
    ...line,
    parse(value, at) {
      const text = line.parse(value, at);
      if (text !== null && !EHLO_DOMAIN.test(text) && !EHLO_ADDRESS_LITERAL.test(text)) {
        at.issues.add(
          'INVALID_VALUE',
          at.path,
          `${at.key} must be a domain name or an address literal such as [192.0.2.1]`,
        );
      }
      return text;
    },
  };
}

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
    heloName: ehloName({
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
