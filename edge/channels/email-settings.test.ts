import { expect, test } from 'vitest';
import { isEmailAddress, parseSmtpSettings } from './email-settings';
import type { ChannelRecord } from './types';

function channel(
  settings: Record<string, unknown>,
  credentials: Record<string, unknown> = {},
): ChannelRecord {
  return { id: 'c', type: 'email', name: 'Mail', settings, credentials };
}

const valid = { host: 'smtp.example.com', port: 587, fromAddress: 'team@example.com' };

test('reads settings with STARTTLS by default and the from-domain as EHLO name', () => {
  expect(parseSmtpSettings(channel(valid, { username: 'u', password: 'p' }))).toEqual({
    ok: true,
    settings: {
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      fromAddress: 'team@example.com',
      clientName: 'example.com',
      auth: { username: 'u', password: 'p' },
    },
  });
});

test('accepts implicit TLS, a from name, an auth method and no credentials', () => {
  const parsed = parseSmtpSettings(
    channel({ ...valid, port: '465', security: 'tls', fromName: 'Team', authMethod: 'login' }),
  );
  expect(parsed).toMatchObject({
    ok: true,
    settings: { port: 465, security: 'tls', fromName: 'Team' },
  });
  expect(parsed.ok && parsed.settings.auth).toBeUndefined();
});

test('explains what is missing or malformed', () => {
  for (const settings of [
    { ...valid, host: '' },
    { ...valid, host: 'smtp.example.com\r\nX: y' },
    { ...valid, port: 70000 },
    { ...valid, security: 'ssl' },
    { ...valid, fromAddress: 'not an address' },
    { ...valid, authMethod: 'cram-md5' },
  ]) {
    expect(parseSmtpSettings(channel(settings)).ok, JSON.stringify(settings)).toBe(false);
  }
  expect(parseSmtpSettings(channel(valid, { username: 'u' }))).toEqual({
    ok: false,
    detail: 'the SMTP password is missing',
  });
});

test('accepts only addresses that cannot break an SMTP command', () => {
  expect(isEmailAddress('zoe.o+tag@mail.example.net')).toBe(true);
  for (const address of [
    'zoe@example.net>',
    'a b@example.com',
    'zoe@',
    '@example.com',
    'a@b.c\r\n',
  ]) {
    expect(isEmailAddress(address), address).toBe(false);
  }
});
