import { readChannel } from '../channel-config';
import type { ChannelConnection, VerifyResult } from '../connection';
import { gmailUrl } from '../google/endpoints';
import { classifyGoogleAnswer } from '../google/errors';
import { googleAccessToken } from '../google/oauth';
import { callProvider, isSuccess } from '../http/classify';
import type { SendOutcome } from '../types';
import { GMAIL_API } from './adapter';
import { emailGmailDefinition } from './definition';
import { GMAIL_FAILURES } from './failures';

/**
 * Scopes that allow users.messages.send (Gmail API, users.messages.send, "Authorization
 * scopes"). A token granted none of them cannot send, whatever else it may do.
 */
export const GMAIL_SEND_SCOPES: readonly string[] = [
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.addons.current.action.compose',
  'https://www.googleapis.com/auth/gmail.send',
];

/** A failed outcome as a verdict: what a retry may fix is "unreachable", the rest "rejected". */
function verdictOf(outcome: SendOutcome): VerifyResult {
  if (outcome.status !== 'failed') return { verdict: 'unreachable', problem: 'unexpected answer' };
  return { verdict: outcome.retryable ? 'unreachable' : 'rejected', problem: outcome.detail };
}

/**
 * Verifying refreshes the access token (a revoked or expired grant is `invalid_grant`: the
 * channel is in error), checks that the grant allows sending, and reads the mailbox with
 * users.getProfile (`GET /gmail/v1/users/me/profile`, answering `emailAddress`). getProfile
 * needs a read scope (gmail.metadata or broader) that a send-only grant lacks: its 403 then
 * still leaves a channel that can send, verified without the address.
 */
export const emailGmailConnection: ChannelConnection = {
  async verify(channel, context) {
    const read = readChannel(emailGmailDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const { credentials } = read;
    if (!credentials?.clientId || !credentials.clientSecret || !credentials.refreshToken) {
      return { verdict: 'rejected', problem: 'the channel has no OAuth credentials' };
    }
    const token = await googleAccessToken(
      {
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        refreshToken: credentials.refreshToken,
      },
      context,
      { fresh: true },
    );
    if (!token.ok) return verdictOf(token.outcome);
    const { scopes, accessToken } = token.token;
    const canSend = scopes.some((scope) => GMAIL_SEND_SCOPES.includes(scope));
    if (scopes.length > 0 && !canSend) {
      return {
        verdict: 'rejected',
        problem: `the grant does not allow sending (scopes: ${scopes.join(' ')}); grant gmail.send`,
      };
    }
    const call = await callProvider(
      gmailUrl(context.endpoints, 'profile'),
      { method: 'GET', headers: { authorization: `Bearer ${accessToken}` } },
      { who: GMAIL_API, timeoutMs: context.timeoutMs },
    );
    if (!call.ok) return verdictOf(call.outcome);
    if (call.answer.status === 403 && canSend) {
      return { verdict: 'verified', detail: 'can send (the grant cannot read the profile)' };
    }
    if (!isSuccess(call.answer)) {
      return verdictOf(
        classifyGoogleAnswer(call.answer, GMAIL_FAILURES, GMAIL_API, context.now?.() ?? new Date()),
      );
    }
    let address: unknown;
    try {
      address = (JSON.parse(call.answer.body) as { emailAddress?: unknown }).emailAddress;
    } catch {
      // A 2xx proves the token works even if the body is odd.
    }
    return {
      verdict: 'verified',
      detail: typeof address === 'string' ? `Gmail mailbox ${address}` : 'Gmail mailbox',
    };
  },
};
