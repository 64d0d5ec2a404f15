import { expect, test } from 'vitest';
import { readChannel } from '../channel-config';
import type { ChannelRecord } from '../types';
import { emailSmtpDefinition } from './definition';

function channel(
  settings: Record<string, unknown>,
  credentials: Record<string, unknown> = {},
): ChannelRecord {
  return { id: 'c', type: 'email', provider: 'smtp', name: 'Mail', settings, credentials };
}

const valid = { host: 'smtp.example.com', port: 587, fromAddress: 'team@example.com' };
const publicOnly = { allowPrivateUrls: false };

function read(settings: Record<string, unknown>, credentials: Record<string, unknown> = {}) {
  return readChannel(emailSmtpDefinition, channel(settings, credentials), publicOnly);
}

test('reads settings with STARTTLS by default and the credentials as stored', () => {
  expect(read(valid, { username: 'u', password: 'p' })).toEqual({
    ok: true,
    settings: {
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      fromAddress: 'team@example.com',
      fromName: null,
      authMethod: null,
      heloName: null,
    },
    credentials: { username: 'u', password: 'p' },
  });
});

test('accepts implicit TLS, a from name, an auth method, a numeric-string port and no credentials', () => {
  const parsed = read({
    ...valid,
    port: '465',
    security: 'tls',
    fromName: 'Team',
    authMethod: 'login',
  });
  expect(parsed).toMatchObject({
    ok: true,
    settings: { port: 465, security: 'tls', fromName: 'Team', authMethod: 'login' },
    credentials: null,
  });
});

test('takes sender names in any script, with the marks right-to-left names need', () => {
  for (const fromName of ['Équipe Zoë', 'فريق الدعم\u200F', 'צוות 👋', '客服团队']) {
    expect(read({ ...valid, fromName }), fromName).toMatchObject({
      ok: true,
      settings: { fromName: fromName.trim() },
    });
  }
});

test('explains what is missing or malformed', () => {
  for (const settings of [
    { ...valid, host: '' },
    { ...valid, host: 'smtp.example.com\r\nX: y' },
    { ...valid, port: 70000 },
    { ...valid, security: 'ssl' },
    { ...valid, fromAddress: 'not an address' },
    { ...valid, authMethod: 'cram-md5' },
    { ...valid, fromName: 'Team\r\nBcc: all@example.com' },
    // A sender name recipients would read as another ("Bank<U+202E>moc.evil" shows reversed).
    { ...valid, fromName: 'Support\u202Elatot' },
    { ...valid, fromName: 'Team\u2066Billing\u2069' },
    { ...valid, fromName: 'Team\tBilling' },
    { ...valid, fromName: 'Team\u0085Billing' },
  ]) {
    expect(read(settings).ok, JSON.stringify(settings)).toBe(false);
  }
  expect(read(valid, { username: 'u' })).toEqual({
    ok: false,
    detail: 'credentials.password: password is required',
  });
});

test('refuses a loopback or private SMTP host unless the deployment allows it', () => {
  expect(read({ ...valid, host: '127.0.0.1' })).toEqual({
    ok: false,
    detail: 'settings.host: host is a loopback address',
  });
  expect(
    readChannel(emailSmtpDefinition, channel({ ...valid, host: '10.0.0.5' }), {
      allowPrivateUrls: true,
    }).ok,
  ).toBe(true);
});

test('the EHLO name is a domain or an address literal, as EHLO takes (RFC 5321 §4.1.1.1)', () => {
  for (const heloName of ['mail.example.com', 'relay-1', '[192.0.2.1]', '[IPv6:2001:db8::1]']) {
    expect(read({ ...valid, heloName }), heloName).toMatchObject({
      ok: true,
      settings: { heloName },
    });
  }
  // Each would go out as `EHLO <it>`: a second word, raw UTF-8 or a bracket the server refuses.
  for (const heloName of ['mail relay', 'relé.example.com', 'example.com>', '-relay.example']) {
    expect(read({ ...valid, heloName }).ok, heloName).toBe(false);
  }
});
