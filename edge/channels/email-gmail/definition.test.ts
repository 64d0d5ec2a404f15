import { expect, test } from 'vitest';
import { readChannel } from '../channel-config';
import type { ChannelRecord } from '../types';
import { emailGmailDefinition } from './definition';

const credentials = { clientId: 'id', clientSecret: ' secret ', refreshToken: '1//token' };

function read(settings: Record<string, unknown>, secrets: Record<string, unknown> = credentials) {
  const channel: ChannelRecord = {
    id: 'c',
    type: 'email',
    provider: 'gmail',
    name: 'Gmail',
    settings,
    credentials: secrets,
  };
  return readChannel(emailGmailDefinition, channel, { allowPrivateUrls: false });
}

test('reads the sender and keeps the OAuth secrets byte for byte', () => {
  expect(read({ fromAddress: ' team@example.com ', fromName: 'Team' })).toEqual({
    ok: true,
    settings: { fromAddress: 'team@example.com', fromName: 'Team' },
    credentials,
  });
});

test('refuses a sender that is not an address, or a name that would break the From header', () => {
  expect(read({ fromAddress: 'team' })).toMatchObject({
    ok: false,
    detail: expect.stringContaining('settings.fromAddress'),
  });
  expect(read({ fromAddress: 'team@example.com', fromName: 'Team\r\nBcc: x@y.z' })).toMatchObject({
    ok: false,
    detail: expect.stringContaining('settings.fromName'),
  });
});

test('needs the client id, client secret and refresh token', () => {
  expect(read({ fromAddress: 'team@example.com' }, {})).toMatchObject({
    ok: false,
    detail: expect.stringContaining('needs credentials'),
  });
  expect(
    read({ fromAddress: 'team@example.com' }, { clientId: 'id', clientSecret: 'secret' }),
  ).toMatchObject({ ok: false, detail: expect.stringContaining('credentials.refreshToken') });
});
