import { afterAll, describe, expect, test } from 'vitest';
import { type GoogleStandIn, SCOPE, startGoogle } from '../../../test/fakes/google';
import type { ConnectionContext } from '../connection';
import { emailGmailConnection } from './connection';
import { GMAIL_TEST_ACCOUNT, gmailChannel, googleEndpoints } from './test-fixtures';

const standIns: GoogleStandIn[] = [];

afterAll(async () => {
  await Promise.all(standIns.map((standIn) => standIn.close()));
});

async function google(scopes: string[]): Promise<GoogleStandIn> {
  const standIn = await startGoogle({ ...GMAIL_TEST_ACCOUNT, scopes });
  standIns.push(standIn);
  return standIn;
}

function context(standIn: { url: string }): ConnectionContext {
  return { endpoints: googleEndpoints(standIn.url), allowPrivateUrls: false, timeoutMs: 5_000 };
}

describe('verifying a Gmail channel', () => {
  test('names the mailbox users.getProfile reports', async () => {
    const standIn = await google([SCOPE.send, SCOPE.metadata]);
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toEqual({
      verdict: 'verified',
      detail: `Gmail mailbox ${GMAIL_TEST_ACCOUNT.mailbox}`,
    });
    expect(standIn.requests.map((request) => request.path)).toEqual([
      '/token',
      '/gmail/v1/users/me/profile',
    ]);
  });

  test('accepts a send-only grant, which cannot read the profile', async () => {
    const standIn = await google([SCOPE.send]);
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toMatchObject({
      verdict: 'verified',
      detail: expect.stringContaining('can send'),
    });
  });

  test('rejects a grant that cannot send', async () => {
    const standIn = await google([SCOPE.metadata]);
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('gmail.send'),
    });
  });

  test('rejects a revoked refresh token (invalid_grant): the channel goes to ERROR', async () => {
    const standIn = await google([SCOPE.send]);
    standIn.revokeGrant();
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('invalid_grant'),
    });
  });

  test('rejects a wrong client secret (invalid_client)', async () => {
    const standIn = await google([SCOPE.send]);
    const channel = gmailChannel({ ...GMAIL_TEST_ACCOUNT, clientSecret: 'wrong' });
    expect(await emailGmailConnection.verify(channel, context(standIn))).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('invalid_client'),
    });
  });

  test('concludes nothing when Google cannot be reached', async () => {
    const standIn = await google([SCOPE.send]);
    await standIn.close();
    standIns.splice(standIns.indexOf(standIn), 1);
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toMatchObject({
      verdict: 'unreachable',
    });
  });
});
