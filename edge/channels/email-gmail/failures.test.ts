import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type GoogleReply,
  type GoogleStandIn,
  gmailApiDisabled,
  googleError,
  googleErrorInfo,
  insufficientScope,
  oauthError,
  startGoogle,
  userRateLimit,
} from '../../../test/fakes/google';
import type { FailureReason } from '../../../workflow/types';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import { GOOGLE_OAUTH_FAILURES } from '../google/oauth';
import { GMAIL_FAILURES } from './failures';
import {
  GMAIL_TEST_ACCOUNT,
  gmailOutbound,
  gmailRenderInput,
  googleEndpoints,
} from './test-fixtures';

let google: GoogleStandIn;
let worker: AdapterWorker;

beforeAll(async () => {
  google = await startGoogle(GMAIL_TEST_ACCOUNT);
  worker = await startAdapterWorker();
});

afterAll(async () => {
  await worker?.dispose();
  await google?.close();
});

async function send() {
  const deliveryId = crypto.randomUUID();
  const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hello', []));
  return worker.send(gmailOutbound(deliveryId, rendered), {
    allowPrivateUrls: false,
    endpoints: googleEndpoints(google.url),
  });
}

type Case = [
  status: number,
  error: string,
  reason: FailureReason,
  retried: boolean,
  /** The answer, when not the `errors[]` form naming `error` (googleError). */
  reply?: GoogleReply,
];

/**
 * What each documented Gmail answer must become, written out here independently of the table
 * (Gmail API, "Resolve errors"): 400 invalid → content, 401 → credentials (after the one
 * refresh), 403/429 rate limits → rate limited, 5xx → transient. Every row has a case (the
 * last test checks none is missing).
 */
const GMAIL_CASES: Case[] = [
  [400, 'failedPrecondition', 'channel_not_connected', false],
  [400, 'invalidArgument', 'content_invalid', false],
  [400, 'badRequest', 'content_invalid', false],
  [401, 'authError', 'credentials_rejected', false],
  [403, 'dailyLimitExceeded', 'rate_limited', false],
  [403, 'userRateLimitExceeded', 'rate_limited', true],
  [403, 'rateLimitExceeded', 'rate_limited', true],
  [403, 'domainPolicy', 'channel_not_connected', false],
  [403, 'insufficientPermissions', 'credentials_rejected', false],
  [403, 'forbidden', 'channel_not_connected', false],
  // The error model's ErrorInfo reasons, without the older errors[] (Google Cloud API design
  // guide, "Errors"; google.api.ErrorReason).
  [
    403,
    'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
    'credentials_rejected',
    false,
    googleErrorInfo(
      403,
      'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      'Request had insufficient authentication scopes.',
    ),
  ],
  [
    403,
    'SERVICE_DISABLED',
    'channel_not_connected',
    false,
    googleErrorInfo(
      403,
      'SERVICE_DISABLED',
      'Gmail API has not been used in project 1 before or it is disabled.',
    ),
  ],
  [
    403,
    'RATE_LIMIT_EXCEEDED',
    'rate_limited',
    true,
    googleErrorInfo(403, 'RATE_LIMIT_EXCEEDED', "Quota exceeded for quota metric 'Queries'."),
  ],
  [
    429,
    'RATE_LIMIT_EXCEEDED',
    'rate_limited',
    true,
    googleErrorInfo(429, 'RATE_LIMIT_EXCEEDED', "Quota exceeded for quota metric 'Queries'."),
  ],
  // A 403 that names no reason at all, only its canonical status.
  [
    403,
    'PERMISSION_DENIED',
    'credentials_rejected',
    false,
    googleErrorInfo(403, null, 'The caller does not have permission'),
  ],
  [429, 'rateLimitExceeded', 'rate_limited', true],
  [500, 'backendError', 'network', true],
  [502, 'backendError', 'network', true],
  [503, 'backendError', 'network', true],
  [504, 'backendError', 'network', true],
];

/** Token endpoint errors (RFC 6749 §5.2 as Google answers them). */
const OAUTH_CASES: Case[] = [
  [400, 'invalid_grant', 'credentials_rejected', false],
  [401, 'invalid_client', 'credentials_rejected', false],
  [400, 'unauthorized_client', 'credentials_rejected', false],
];

describe('Gmail answers become reasons (one case per table row)', () => {
  for (const [status, error, reason, retried, documented] of GMAIL_CASES) {
    test(`${status} ${error} → ${reason}${retried ? ', retried' : ''}`, async () => {
      const reply = documented ?? googleError(status, error, `documented ${error}`);
      // A 401 is refreshed once and retried: both tries get it.
      google.replyNextSend(...(status === 401 ? [reply, reply] : [reply]));
      const outcome = await send();
      expect(outcome).toMatchObject({ status: 'failed', reason, retryable: retried });
      expect(outcome.status === 'failed' && outcome.detail).toContain(`HTTP ${status} ${error}`);
      expect(outcome.status === 'failed' && outcome.channelError).toBeFalsy();
    });
  }

  test("a rate limit's Retry-After is kept for the retry", async () => {
    const limited: GoogleReply = {
      ...googleError(429, 'rateLimitExceeded', 'Too many requests'),
      headers: { 'retry-after': '30' },
    };
    google.replyNextSend(limited);
    expect(await send()).toMatchObject({ reason: 'rate_limited', retryAfterSeconds: 30 });
  });

  test('the time to retry Gmail names in a rate limit message is kept for the retry', async () => {
    // "Resolve errors", 429: the error "is returned with time to retry" (in its message, with no
    // Retry-After header); daily sending limits can last hours, so the retry waits for it.
    for (const status of [429, 403]) {
      const retryAt = new Date(Date.now() + 2 * 60 * 60 * 1000);
      google.replyNextSend(userRateLimit(retryAt, status));
      const outcome = await send();
      expect(outcome).toMatchObject({ reason: 'rate_limited', retryable: true });
      const seconds = outcome.status === 'failed' ? outcome.retryAfterSeconds : undefined;
      expect(seconds).toBeGreaterThan(2 * 60 * 60 - 60);
      expect(seconds).toBeLessThanOrEqual(2 * 60 * 60);
    }
  });

  test("a spent daily quota is not retried, even with Gmail's time to retry (it is a day away)", async () => {
    // "Resolve a 403 error: Daily limit exceeded": the project's courtesy limit, lifted by
    // asking for more quota, not by retrying minutes later.
    google.replyNextSend({
      ...googleError(403, 'dailyLimitExceeded', 'Daily Limit Exceeded'),
      headers: { 'retry-after': '60' },
    });
    const outcome = await send();
    expect(outcome).toMatchObject({ status: 'failed', reason: 'rate_limited', retryable: false });
    expect(outcome.status === 'failed' && outcome.retryAfterSeconds).toBeFalsy();
  });

  test("a 403 whose errors[] reason no row names is read by its ErrorInfo: the Gmail API disabled in the client's project", async () => {
    google.replyNextSend(gmailApiDisabled());
    expect(await send()).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
      retryable: false,
      detail: expect.stringContaining('HTTP 403 accessNotConfigured'),
    });
  });

  test("a grant without gmail.send: the stand-in's own 403 (errors[] and ErrorInfo) is credentials_rejected", async () => {
    google.replyNextSend(insufficientScope());
    expect(await send()).toMatchObject({ reason: 'credentials_rejected', retryable: false });
  });

  test('a documented errors[] reason decides over a generic ErrorInfo in the same answer', async () => {
    // dailyLimitExceeded (not retried) with a RATE_LIMIT_EXCEEDED ErrorInfo (retried): the
    // reason the Gmail guide documents, and tells how to handle, wins.
    google.replyNextSend(
      googleError(
        403,
        'dailyLimitExceeded',
        'Daily Limit Exceeded',
        'PERMISSION_DENIED',
        'RATE_LIMIT_EXCEEDED',
      ),
    );
    expect(await send()).toMatchObject({ reason: 'rate_limited', retryable: false });
  });

  test('an answer no row names falls back to its HTTP status', async () => {
    google.replyNextSend(googleError(404, 'notFound', 'Requested entity was not found.'));
    expect(await send()).toMatchObject({ reason: 'rejected_by_provider', retryable: false });
  });
});

describe('token endpoint answers become reasons (one case per table row)', () => {
  for (const [status, error, reason, retried] of OAUTH_CASES) {
    test(`${status} ${error} → ${reason}`, async () => {
      // The cached token would spare the token endpoint: Gmail refuses it, forcing a refresh.
      google.invalidateAccessTokens();
      google.replyNextToken(oauthError(status, error, `documented ${error}`));
      const before = google.sendRequests().length;
      const accepted = google.messages.length;
      const outcome = await send();
      // A dead grant or client puts the channel in ERROR (dispatch records it).
      expect(outcome).toMatchObject({
        status: 'failed',
        reason,
        retryable: retried,
        channelError: true,
      });
      expect(outcome.status === 'failed' && outcome.detail).toContain(
        `Google OAuth answered HTTP ${status} ${error}`,
      );
      // Nothing was sent with a token that could not be had (at most the refused first try).
      expect(google.messages).toHaveLength(accepted);
      expect(google.sendRequests().length - before).toBeLessThanOrEqual(1);
    });
  }

  test('a token endpoint that fails on its side is retried later', async () => {
    google.invalidateAccessTokens();
    google.replyNextToken({ status: 503, body: { error: 'temporarily_unavailable' } });
    expect(await send()).toMatchObject({ reason: 'network', retryable: true });
  });
});

test('every row of both tables has a case above and cites its documentation', () => {
  const cases = [...GMAIL_CASES, ...OAUTH_CASES];
  for (const row of [...GMAIL_FAILURES, ...GOOGLE_OAUTH_FAILURES]) {
    const covered = cases.some(
      ([status, error, reason]) =>
        (row.status === undefined || row.status === status) &&
        (row.error === undefined || row.error === error) &&
        row.reason === reason,
    );
    expect(covered, `row ${row.status ?? '*'} ${row.error ?? '*'}`).toBe(true);
    expect(row.doc).toMatch(/Resolve errors|Google API error model|OAuth 2\.0|RFC 6749/);
  }
});
