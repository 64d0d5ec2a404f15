import { afterAll, describe, expect, test } from 'vitest';
import { type GoogleStandIn, googleError, SCOPE, startGoogle } from '../../../test/fakes/google';
import type { ConnectionContext } from '../connection';
import { emailGmailConnection } from './connection';
import {
  GMAIL_TEST_ACCOUNT,
  type GmailSendAs,
  gmailChannel,
  googleEndpoints,
  startGmailWithAliases,
} from './test-fixtures';

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

  test('a rate-limited profile read concludes nothing: it is not taken for a send-only grant', async () => {
    const standIn = await google([SCOPE.send, SCOPE.metadata]);
    standIn.replyNextProfile(googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded'));
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toMatchObject({
      verdict: 'unreachable',
      problem: expect.stringContaining('userRateLimitExceeded'),
    });
  });

  test('rejects a mailbox whose domain does not let the app use Gmail (403 domainPolicy)', async () => {
    const standIn = await google([SCOPE.send, SCOPE.metadata]);
    standIn.replyNextProfile(
      googleError(403, 'domainPolicy', 'The domain administrators have disabled Gmail apps.'),
    );
    expect(await emailGmailConnection.verify(gmailChannel(), context(standIn))).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('domainPolicy'),
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

describe('fromAddress against the mailbox', () => {
  const SETTINGS_BASIC = 'https://www.googleapis.com/auth/gmail.settings.basic';
  const aliases: GmailSendAs[] = [
    { sendAsEmail: GMAIL_TEST_ACCOUNT.mailbox, isPrimary: true },
    { sendAsEmail: 'support@example.com', verificationStatus: 'accepted' },
    { sendAsEmail: 'sales@example.com', verificationStatus: 'pending' },
  ];

  async function gmailWithAliases(scopes: string[]) {
    const inner = await google(scopes);
    const outer = await startGmailWithAliases(inner, aliases);
    standIns.push({ close: () => outer.close() } as GoogleStandIn);
    return outer;
  }

  const from = (fromAddress: string) => {
    const channel = gmailChannel();
    return { ...channel, settings: { ...channel.settings, fromAddress } };
  };

  test('the mailbox address in another case is the mailbox', async () => {
    const standIn = await gmailWithAliases([SCOPE.send, SCOPE.metadata]);
    expect(await emailGmailConnection.verify(from('Team@Example.com'), context(standIn))).toEqual({
      verdict: 'verified',
      detail: `Gmail mailbox ${GMAIL_TEST_ACCOUNT.mailbox}`,
    });
  });

  test('a verified send-as alias is accepted (users.settings.sendAs.list)', async () => {
    const standIn = await gmailWithAliases([SCOPE.send, SCOPE.metadata, SETTINGS_BASIC]);
    expect(
      await emailGmailConnection.verify(from('support@example.com'), context(standIn)),
    ).toEqual({
      verdict: 'verified',
      detail: `Gmail mailbox ${GMAIL_TEST_ACCOUNT.mailbox}, sending as support@example.com`,
    });
  });

  test('an address that is neither the mailbox nor an alias is refused, naming the aliases', async () => {
    const standIn = await gmailWithAliases([SCOPE.send, SCOPE.metadata, SETTINGS_BASIC]);
    expect(await emailGmailConnection.verify(from('ceo@example.com'), context(standIn))).toEqual({
      verdict: 'rejected',
      problem:
        'fromAddress ceo@example.com is neither the mailbox\'s address nor one of its send-as aliases (team@example.com, support@example.com, sales@example.com): add it as a "Send mail as" address in Gmail\'s settings, or set fromAddress to one of these',
    });
  });

  test('an alias still pending verification is refused', async () => {
    const standIn = await gmailWithAliases([SCOPE.send, SETTINGS_BASIC]);
    expect(await emailGmailConnection.verify(from('sales@example.com'), context(standIn))).toEqual({
      verdict: 'rejected',
      problem:
        'fromAddress sales@example.com is a send-as alias of the mailbox that is not verified yet (pending): confirm it in Gmail, then verify the channel',
    });
  });

  test('a grant that cannot read the aliases verifies, saying fromAddress was not checked', async () => {
    const standIn = await gmailWithAliases([SCOPE.send, SCOPE.metadata]);
    expect(await emailGmailConnection.verify(from('ceo@example.com'), context(standIn))).toEqual({
      verdict: 'verified',
      detail: `Gmail mailbox ${GMAIL_TEST_ACCOUNT.mailbox}; fromAddress ceo@example.com is not the mailbox's address, and its send-as aliases could not be read (grant gmail.settings.basic to check them); Gmail sends only as the mailbox or its verified aliases`,
    });
  });
});
