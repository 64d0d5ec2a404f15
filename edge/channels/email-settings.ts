import type { SmtpAuthMethod, SmtpSecurity } from './smtp/client';
import type { ChannelRecord } from './types';

/** An email channel's SMTP settings and credentials, checked. */
export interface SmtpChannelSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  fromAddress: string;
  fromName?: string;
  /** The EHLO name; defaults to the from-address domain. */
  clientName: string;
  auth?: { username: string; password: string; method?: SmtpAuthMethod };
}

const SECURITY_MODES: readonly SmtpSecurity[] = ['none', 'starttls', 'tls'];
const AUTH_METHODS: readonly SmtpAuthMethod[] = ['plain', 'login'];

// A deliberately plain addr-spec: no spaces, brackets, quotes or line breaks can reach an SMTP
// command or a header through it.
const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+|[0-9A-Fa-f:]+)$/;

/** True when `address` is an email address we can put in an SMTP command and a header. */
export function isEmailAddress(address: string): boolean {
  return address.length <= 254 && ADDRESS.test(address);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Reads and checks an email channel's settings (host, port, security, fromAddress, fromName,
 * authMethod, heloName) and credentials (username, password). Returns why it cannot be used
 * when something is missing or malformed.
 */
export function parseSmtpSettings(
  channel: ChannelRecord,
): { ok: true; settings: SmtpChannelSettings } | { ok: false; detail: string } {
  const { settings, credentials } = channel;
  const host = text(settings.host);
  if (!host || !HOST.test(host))
    return { ok: false, detail: 'the SMTP host is missing or invalid' };
  const port = typeof settings.port === 'string' ? Number(settings.port) : settings.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, detail: 'the SMTP port is missing or invalid' };
  }
  const security = (text(settings.security) ?? 'starttls') as SmtpSecurity;
  if (!SECURITY_MODES.includes(security)) {
    return { ok: false, detail: `SMTP security must be one of ${SECURITY_MODES.join(', ')}` };
  }
  const fromAddress = text(settings.fromAddress);
  if (!fromAddress || !isEmailAddress(fromAddress)) {
    return { ok: false, detail: 'the from address is missing or invalid' };
  }
  const method = text(settings.authMethod) as SmtpAuthMethod | undefined;
  if (method && !AUTH_METHODS.includes(method)) {
    return { ok: false, detail: `SMTP auth method must be one of ${AUTH_METHODS.join(', ')}` };
  }
  const username = text(credentials.username);
  const password = typeof credentials.password === 'string' ? credentials.password : undefined;
  if (username && password === undefined) {
    return { ok: false, detail: 'the SMTP password is missing' };
  }
  const heloName = text(settings.heloName);
  return {
    ok: true,
    settings: {
      host,
      port,
      security,
      fromAddress,
      ...(text(settings.fromName) ? { fromName: text(settings.fromName) } : {}),
      clientName:
        heloName && HOST.test(heloName)
          ? heloName
          : fromAddress.slice(fromAddress.lastIndexOf('@') + 1),
      ...(username && password !== undefined
        ? { auth: { username, password, ...(method ? { method } : {}) } }
        : {}),
    },
  };
}
