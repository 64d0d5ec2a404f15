import { readChannel } from '../channel-config';
import type { ChannelConnection, VerifyResult } from '../connection';
import { gmailUrl } from '../google/endpoints';
import { classifyGoogleAnswer, googleErrorOf } from '../google/errors';
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

/**
 * The names of Google's answer to a token without the method's scope: `insufficientPermissions`
 * (Gmail API, "Resolve errors", 403) and the error model's ErrorInfo
 * `ACCESS_TOKEN_SCOPE_INSUFFICIENT` (google.api.ErrorReason).
 */
const SCOPE_REFUSALS: ReadonlySet<string> = new Set([
  'insufficientPermissions',
  'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
]);

/** A 403 that refuses the token's scope, not the request for another reason. */
function isScopeRefusal(answer: { status: number; body: string }): boolean {
  if (answer.status !== 403) return false;
  return (googleErrorOf(answer.body)?.names ?? []).some((name) => SCOPE_REFUSALS.has(name));
}

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
 * still leaves a channel that can send, verified without the address. A `fromAddress` other
 * than the mailbox's must be one of its verified send-as aliases (checkSendAs).
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
    let address: string | null = null;
    if (canSend && isScopeRefusal(call.answer)) {
      // A send-only grant: the mailbox is unknown, so is whether fromAddress is one of its.
      // Other 403s (a rate limit, the domain's policy, the API disabled) are what they say.
    } else if (!isSuccess(call.answer)) {
      return verdictOf(
        classifyGoogleAnswer(call.answer, GMAIL_FAILURES, GMAIL_API, context.now?.() ?? new Date()),
      );
    } else {
      try {
        const reported = (JSON.parse(call.answer.body) as { emailAddress?: unknown }).emailAddress;
        if (typeof reported === 'string' && reported) address = reported;
      } catch {
        // A 2xx proves the token works even if the body is odd.
      }
    }
    const from = read.settings.fromAddress;
    const mailbox = address ? `Gmail mailbox ${address}` : 'Gmail mailbox';
    if (address && sameAddress(address, from)) return { verdict: 'verified', detail: mailbox };
    return checkSendAs(from, address, accessToken, context);
  },
};

/**
 * Gmail sends as the mailbox or one of its send-as aliases (Gmail API guide, "Manage aliases
 * and signatures": a "from" alias must be verified before it can be used), so a `fromAddress`
 * that is neither would not be the address recipients see. Addresses compare without case;
 * gmail.com and googlemail.com ignore dots in the local part and are one domain.
 */
function canonicalAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  const [local, domain] = [lower.slice(0, at), lower.slice(at + 1)];
  if (at > 0 && (domain === 'gmail.com' || domain === 'googlemail.com')) {
    return `${local.replace(/\./g, '')}@gmail.com`;
  }
  return lower;
}

function sameAddress(a: string, b: string): boolean {
  return canonicalAddress(a) === canonicalAddress(b);
}

/** The send-as aliases as users.settings.sendAs.list answers them (SendAs resource). */
interface SendAs {
  sendAsEmail?: unknown;
  isPrimary?: unknown;
  verificationStatus?: unknown;
}

/**
 * `fromAddress` is not the mailbox's address (or that is unknown): it must be one of its
 * send-as aliases, listed with `GET users/me/settings/sendAs` (users.settings.sendAs.list:
 * `sendAs[]` with `sendAsEmail`, `isPrimary`, and `verificationStatus` "accepted" or "pending";
 * scopes gmail.settings.basic, gmail.readonly, gmail.modify or mail.google.com). An alias that
 * is absent, or still pending verification, rejects the channel. A grant that may not read
 * the aliases (gmail.send with gmail.metadata, as the README asks) leaves the check undone:
 * the channel is verified, and the detail says what was not checked.
 */
async function checkSendAs(
  from: string,
  address: string | null,
  accessToken: string,
  context: Parameters<ChannelConnection['verify']>[1],
): Promise<VerifyResult> {
  const mailbox = address ? `Gmail mailbox ${address}` : 'Gmail mailbox';
  const call = await callProvider(
    gmailUrl(context.endpoints, 'settings/sendAs'),
    { method: 'GET', headers: { authorization: `Bearer ${accessToken}` } },
    { who: GMAIL_API, timeoutMs: context.timeoutMs },
  );
  const unchecked = address
    ? `${mailbox}; fromAddress ${from} is not the mailbox's address, and its send-as aliases could not be read (grant gmail.settings.basic to check them); Gmail sends only as the mailbox or its verified aliases`
    : `can send (the grant cannot read the profile, so fromAddress ${from} was not checked against the mailbox)`;
  if (!call.ok || !isSuccess(call.answer)) {
    return { verdict: 'verified', detail: unchecked };
  }
  let aliases: SendAs[] = [];
  try {
    const listed = (JSON.parse(call.answer.body) as { sendAs?: unknown }).sendAs;
    if (Array.isArray(listed))
      aliases = listed.filter((alias) => alias && typeof alias === 'object');
  } catch {
    return { verdict: 'verified', detail: unchecked };
  }
  const emails = aliases.flatMap((alias) =>
    typeof alias.sendAsEmail === 'string' ? [alias.sendAsEmail] : [],
  );
  const primary = aliases.find((alias) => alias.isPrimary === true)?.sendAsEmail;
  const mailboxName = address ?? (typeof primary === 'string' ? primary : null);
  const named = mailboxName ? `Gmail mailbox ${mailboxName}` : 'Gmail mailbox';
  const alias = aliases.find(
    (candidate) =>
      typeof candidate.sendAsEmail === 'string' && sameAddress(candidate.sendAsEmail, from),
  );
  if (!alias) {
    return {
      verdict: 'rejected',
      problem: `fromAddress ${from} is neither the mailbox's address nor one of its send-as aliases (${emails.join(', ') || 'none listed'}): add it as a "Send mail as" address in Gmail's settings, or set fromAddress to one of these`,
    };
  }
  if (alias.isPrimary !== true && alias.verificationStatus !== 'accepted') {
    return {
      verdict: 'rejected',
      problem: `fromAddress ${from} is a send-as alias of the mailbox that is not verified yet (${String(alias.verificationStatus ?? 'unknown')}): confirm it in Gmail, then verify the channel`,
    };
  }
  return {
    verdict: 'verified',
    detail: alias.isPrimary === true ? named : `${named}, sending as ${from}`,
  };
}
