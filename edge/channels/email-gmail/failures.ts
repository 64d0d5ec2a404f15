import type { GoogleFailureTable } from '../google/errors';

/** The section every row cites. */
const RESOLVE_ERRORS = 'Gmail API, "Resolve errors"';
/**
 * Google's error model, for answers that name their cause in an ErrorInfo detail
 * (`details[].reason`) or only by canonical `status`: Google Cloud API design guide, "Errors"
 * ("Error model", "Error details"), and `google.api.ErrorReason` (google/api/error_reason.proto).
 */
const ERROR_MODEL =
  'Google API error model ("Errors", ErrorInfo reasons of google.api.ErrorReason)';

/**
 * Gmail API answers → our reasons (Gmail API, "Resolve errors"). A 401 reaches this table only
 * after the adapter refreshed the access token once and Gmail refused the new one too. Answers
 * no row names fall back to the shared HTTP classification. One test per row in
 * failures.test.ts.
 */
export const GMAIL_FAILURES: GoogleFailureTable = [
  {
    status: 400,
    error: 'failedPrecondition',
    reason: 'channel_not_connected',
    transient: false,
    doc: `${RESOLVE_ERRORS}: 400 failedPrecondition (Gmail is not enabled for the mailbox)`,
  },
  {
    status: 400,
    reason: 'content_invalid',
    transient: false,
    doc: `${RESOLVE_ERRORS}: 400 badRequest / invalidArgument (a field or the message is invalid)`,
  },
  {
    status: 401,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${RESOLVE_ERRORS}: 401 Invalid credentials (authError, after one refresh)`,
  },
  {
    // The project's daily courtesy quota is spent ("Resolve a 403 error: Daily limit exceeded":
    // its fix is asking for more quota in the Google API Console). It comes back the next day,
    // far beyond the minutes a delivery's retries span, so retrying only spends attempts and
    // calls: not retried, as LINE's monthly limit and Viber's free-message limit are not.
    status: 403,
    error: 'dailyLimitExceeded',
    reason: 'rate_limited',
    transient: false,
    doc: `${RESOLVE_ERRORS}: 403 Daily limit exceeded (the project's courtesy API limit; request more quota)`,
  },
  {
    // The per-user rate ("Resolve a 403 error: User rate limit exceeded": fewer requests, or
    // retry; "Usage limits": 15,000 quota units per user per minute), which backoff outlasts.
    // When it is the mailbox's daily sending limit, Gmail names the time to retry in the
    // message (google/errors.ts) and the retry waits for it.
    status: 403,
    error: 'userRateLimitExceeded',
    reason: 'rate_limited',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 403 User rate limit exceeded`,
  },
  {
    status: 403,
    error: 'rateLimitExceeded',
    reason: 'rate_limited',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 403 Rate limit exceeded`,
  },
  {
    // "Resolve a 403 error: App with id {appId} cannot be used within the authenticated user's
    // domain": the domain's policy does not let this app use Gmail; its admin must allow it.
    status: 403,
    error: 'domainPolicy',
    reason: 'channel_not_connected',
    transient: false,
    doc: `${RESOLVE_ERRORS}: 403 The domain administrators have disabled Gmail apps`,
  },
  {
    // The grant lacks a scope users.messages.send takes: only a new grant fixes it. Rows for
    // both names, as Gmail names it in `errors[]` and the error model in its ErrorInfo.
    status: 403,
    error: 'insufficientPermissions',
    reason: 'credentials_rejected',
    transient: false,
    doc: `${RESOLVE_ERRORS}: 403 Forbidden (insufficientPermissions: the grant lacks gmail.send)`,
  },
  {
    status: 403,
    error: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
    reason: 'credentials_rejected',
    transient: false,
    doc: `${ERROR_MODEL}: ACCESS_TOKEN_SCOPE_INSUFFICIENT (the access token has none of the method's scopes)`,
  },
  {
    // "The server received and understood the request, but the user doesn't have permission to
    // perform the request" (the guide's status summary, 403): the token is fine (a missing scope
    // is insufficientPermissions), the mailbox may not send this way (delegation denied, a
    // sender the account may not use). Retrying, or a new grant for the same account, changes
    // nothing: the channel's mailbox or from-address must be fixed.
    status: 403,
    error: 'forbidden',
    reason: 'channel_not_connected',
    transient: false,
    doc: `${RESOLVE_ERRORS}: HTTP status code summary, 403 Forbidden (the user may not perform the request)`,
  },
  {
    // The Gmail API is disabled in the Google Cloud project of the channel's OAuth client:
    // someone must enable it there; the grant itself is valid.
    error: 'SERVICE_DISABLED',
    reason: 'channel_not_connected',
    transient: false,
    doc: `${ERROR_MODEL}: SERVICE_DISABLED (the API is disabled for the consumer project)`,
  },
  {
    // A rate quota of the project or the user, named only in the ErrorInfo (403 or 429): the
    // same as rateLimitExceeded / userRateLimitExceeded, retried with backoff.
    error: 'RATE_LIMIT_EXCEEDED',
    reason: 'rate_limited',
    transient: true,
    doc: `${ERROR_MODEL}: RATE_LIMIT_EXCEEDED (not enough rate quota; ${RESOLVE_ERRORS}: retry failed requests with exponential backoff)`,
  },
  {
    // Any other 403 ("the user doesn't have permission to perform the request"): the shared
    // HTTP classification's credentials refusal.
    status: 403,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${RESOLVE_ERRORS}: HTTP status code summary, 403 Forbidden`,
  },
  {
    status: 429,
    reason: 'rate_limited',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 429 Too many requests (rateLimitExceeded, mail sending limits)`,
  },
  {
    status: 500,
    reason: 'network',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 500 Backend error (retry with exponential backoff)`,
  },
  {
    status: 502,
    reason: 'network',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 502 Bad gateway (server errors, retry with exponential backoff)`,
  },
  {
    status: 503,
    reason: 'network',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 503 Service unavailable (server errors, retry with exponential backoff)`,
  },
  {
    status: 504,
    reason: 'network',
    transient: true,
    doc: `${RESOLVE_ERRORS}: 504 Gateway timeout (server errors, retry with exponential backoff)`,
  },
];
