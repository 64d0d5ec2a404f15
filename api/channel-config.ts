import { privateServerHostReason } from '../edge/security/outbound-url';
import type { ChannelType } from '../workflow/channel-types';
import { isE164, isEmailAddress } from '../workflow/contact-fields';
import type { IssueList } from './validation';

/**
 * The non-secret settings and the secret credentials each channel type stores. Settings live in
 * `channels.settings` (readable through the API); credentials are encrypted into
 * `channels.credentials_ciphertext` and never returned. The dispatcher reads both shapes.
 */
export const SMTP_SECURITY = ['none', 'starttls', 'tls'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITY)[number];

export interface ChannelSettingsByType {
  email: {
    host: string;
    port: number;
    security: SmtpSecurity;
    fromAddress: string;
    fromName: string | null;
  };
  whatsapp: { phoneNumberId: string };
  messenger: { pageId: string };
  telegram: Record<string, never>;
  sms: { fromNumber: string };
  custom: { url: string };
}

export interface ChannelCredentialsByType {
  email: { username: string; password: string };
  whatsapp: { accessToken: string };
  messenger: { pageAccessToken: string };
  telegram: { botToken: string };
  sms: { accountSid: string; authToken: string };
  custom: { signingSecret: string };
}

/** Channel types that cannot work without credentials (email may use an open relay). */
const CREDENTIALS_REQUIRED: ReadonlySet<ChannelType> = new Set([
  'whatsapp',
  'messenger',
  'telegram',
  'sms',
  'custom',
]);

const MAX_SECRET_LENGTH = 4096;
const MAX_TEXT_LENGTH = 320;
const NUMERIC_ID = /^\d{1,32}$/;
// A host name or IP literal; no scheme, path, port or whitespace.
const HOST = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/;
const HEADER_UNSAFE = /[\r\n]/;

type Input = Record<string, unknown> | null | undefined;

function text(input: Input, key: string): string | null {
  const value = input?.[key];
  return typeof value === 'string' ? value.trim() : null;
}

/** Validates the settings for a channel of `type`, returning the normalised object to store. */
export function parseChannelSettings(
  type: ChannelType,
  input: Input,
  issues: IssueList,
  path = 'settings',
  { allowPrivateUrls = false }: { allowPrivateUrls?: boolean } = {},
): Record<string, unknown> {
  // Refused here with a typed error rather than only at send time, where the adapters apply
  // the same rule (edge/security/outbound-url.ts).
  const publicHost = (key: string, host: string): void => {
    const reason = allowPrivateUrls ? undefined : privateServerHostReason(host);
    if (reason) issues.add('INVALID_URL', `${path}.${key}`, `${key} ${reason}`);
  };
  const required = (key: string): string => {
    const value = text(input, key);
    if (!value) issues.add('INVALID_VALUE', `${path}.${key}`, `${key} is required`);
    else if (value.length > MAX_TEXT_LENGTH) {
      issues.add('INVALID_VALUE', `${path}.${key}`, `${key} is too long`);
    }
    return value ?? '';
  };
  const numericId = (key: string): string => {
    const value = required(key);
    if (value && !NUMERIC_ID.test(value)) {
      issues.add('INVALID_VALUE', `${path}.${key}`, `${key} must be the numeric id`);
    }
    return value;
  };

  switch (type) {
    case 'email': {
      const host = required('host');
      if (host && !HOST.test(host)) issues.add('INVALID_VALUE', `${path}.host`, 'Not a host name');
      else if (host) publicHost('host', host);
      const port = input?.port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        issues.add('INVALID_VALUE', `${path}.port`, 'port must be an integer from 1 to 65535');
      }
      const security = input?.security;
      if (!SMTP_SECURITY.includes(security as SmtpSecurity)) {
        issues.add('INVALID_VALUE', `${path}.security`, 'security must be none, starttls or tls');
      }
      const fromAddress = required('fromAddress');
      if (fromAddress && !isEmailAddress(fromAddress)) {
        issues.add(
          'INVALID_EMAIL',
          `${path}.fromAddress`,
          `"${fromAddress}" is not an email address`,
        );
      }
      const fromName = text(input, 'fromName') || null;
      // The name goes into the From header; a line break there would inject headers.
      if (
        fromName &&
        (HEADER_UNSAFE.test(String(input?.fromName)) || fromName.length > MAX_TEXT_LENGTH)
      ) {
        issues.add('INVALID_VALUE', `${path}.fromName`, 'fromName must be one short line');
      }
      return { host, port, security, fromAddress, fromName } satisfies Record<
        keyof ChannelSettingsByType['email'],
        unknown
      >;
    }
    case 'whatsapp':
      return { phoneNumberId: numericId('phoneNumberId') };
    case 'messenger':
      return { pageId: numericId('pageId') };
    case 'telegram':
      return {};
    case 'sms': {
      const fromNumber = required('fromNumber');
      if (fromNumber && !isE164(fromNumber)) {
        issues.add(
          'INVALID_PHONE',
          `${path}.fromNumber`,
          'fromNumber must be E.164, e.g. +14155550100',
        );
      }
      return { fromNumber };
    }
    case 'custom': {
      const url = required('url');
      if (url && !isWebhookUrl(url)) {
        issues.add('INVALID_URL', `${path}.url`, 'url must be an absolute http(s) URL');
      } else if (url) {
        publicHost('url', new URL(url).hostname);
      }
      return { url };
    }
  }
}

/** An absolute http: or https: URL without credentials in it. */
export function isWebhookUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password
    );
  } catch {
    return false;
  }
}

const CREDENTIAL_KEYS: { [T in ChannelType]: (keyof ChannelCredentialsByType[T])[] } = {
  email: ['username', 'password'],
  whatsapp: ['accessToken'],
  messenger: ['pageAccessToken'],
  telegram: ['botToken'],
  sms: ['accountSid', 'authToken'],
  custom: ['signingSecret'],
};

/**
 * Validates credentials for a channel of `type`. Returns null when none were given and the type
 * may go without (email). Secrets are kept byte for byte (not trimmed).
 */
export function parseChannelCredentials(
  type: ChannelType,
  input: Input,
  issues: IssueList,
  path = 'credentials',
): Record<string, string> | null {
  if (!input) {
    if (CREDENTIALS_REQUIRED.has(type)) {
      issues.add('INVALID_VALUE', path, `A ${type} channel needs credentials`);
    }
    return null;
  }
  const credentials: Record<string, string> = {};
  for (const key of CREDENTIAL_KEYS[type] as string[]) {
    const value = input[key];
    if (typeof value !== 'string' || value.length === 0) {
      issues.add('INVALID_VALUE', `${path}.${key}`, `${key} is required`);
    } else if (value.length > MAX_SECRET_LENGTH) {
      issues.add('INVALID_VALUE', `${path}.${key}`, `${key} is too long`);
    } else {
      credentials[key] = value;
    }
  }
  return credentials;
}
