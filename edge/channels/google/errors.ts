import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, DETAIL_BODY_CHARS, type HttpAnswer } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import type { SendOutcome } from '../types';

/**
 * Google's two error shapes, read into one: Google APIs answer
 * `{ error: { code, message, status, errors: [{ domain, reason, message }] } }` (Gmail API,
 * "Resolve errors"), the OAuth 2.0 token endpoint `{ error: "invalid_grant",
 * error_description }` (RFC 6749 §5.2). Failure tables match the error name (`reason` or the
 * OAuth `error`) and the HTTP status.
 */

/** A Google error, flattened. */
export interface GoogleError {
  /** `errors[0].reason` (e.g. `userRateLimitExceeded`) or the OAuth `error` (`invalid_grant`). */
  name: string | null;
  message: string;
  /** The time to retry a rate-limited request names in its message, if any (ISO 8601). */
  retryAt: string | null;
}

/**
 * Gmail's per-user limits: "If these limits are exceeded, a HTTP 429 Too Many Requests
 * 'User-rate limit exceeded' '(Mail sending)' error is returned with time to retry. Note that
 * daily limits being exceeded may result in these types of errors for multiple hours" (Gmail
 * API, "Resolve errors", "Resolve a 429 error: Too many requests": Mail sending limits,
 * Bandwidth limits). The page does not spell out where; Gmail writes it in the error's message,
 * with no `Retry-After` header: `User-rate limit exceeded.  Retry after
 * 2026-09-11T20:00:00.000Z` (on a 429, and on a 403 `rateLimitExceeded` too). Retrying before
 * that time only spends attempts.
 */
const RETRY_AT_IN_MESSAGE =
  /\bRetry after (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))/i;

function retryAtIn(messages: (string | null)[]): string | null {
  for (const message of messages) {
    const found = message === null ? null : RETRY_AT_IN_MESSAGE.exec(message);
    if (found?.[1]) return found[1];
  }
  return null;
}

/** One row of a Google failure table: how it matches, then the shared row outcome. */
export interface GoogleFailureRow extends FailureRowOutcome {
  /** The HTTP status it applies to; absent means any. */
  status?: number;
  /** The error name it applies to; absent means any error with that status. */
  error?: string;
  /** The credentials are dead until entered again: the channel goes to ERROR. */
  channelError?: boolean;
}

export type GoogleFailureTable = readonly GoogleFailureRow[];

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The error in a Google answer's body, or null when it holds none. */
export function googleErrorOf(body: string): GoogleError | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const error = (parsed as Record<string, unknown>).error;
  if (typeof error === 'string') {
    const description = text((parsed as Record<string, unknown>).error_description);
    return { name: error, message: description ?? error, retryAt: null };
  }
  if (!error || typeof error !== 'object') return null;
  const fields = error as Record<string, unknown>;
  const first = Array.isArray(fields.errors) ? (fields.errors[0] as Record<string, unknown>) : null;
  return {
    name: text(first?.reason) ?? text(fields.status),
    message: text(fields.message) ?? text(first?.message) ?? 'Google error',
    retryAt: retryAtIn([text(fields.message), text(first?.message)]),
  };
}

/** The row for an answer: one naming its error wins over one for the status alone. */
export function findGoogleFailure(
  table: GoogleFailureTable,
  status: number,
  error: GoogleError | null,
): GoogleFailureRow | undefined {
  const rows = table.filter((row) => row.status === undefined || row.status === status);
  return (
    rows.find((row) => row.error !== undefined && row.error === error?.name) ??
    rows.find((row) => row.error === undefined && row.status !== undefined)
  );
}

/**
 * The outcome of a Google answer that is not a success: the table's row, else the shared HTTP
 * classification (edge/channels/http/classify.ts).
 */
export function classifyGoogleAnswer(
  answer: HttpAnswer,
  table: GoogleFailureTable,
  who: string,
  now: Date,
): SendOutcome {
  const error = googleErrorOf(answer.body);
  const row = findGoogleFailure(table, answer.status, error);
  if (!row) return classifyHttpStatus(answer, who, now);
  const name = error?.name ? ` ${error.name}` : '';
  const detail =
    `${who} answered HTTP ${answer.status}${name}: ${error?.message ?? answer.body.trim()}`.slice(
      0,
      DETAIL_BODY_CHARS * 2,
    );
  // A `Retry-After` header wins; else the time to retry Gmail names in its message.
  const retryAfter =
    parseRetryAfter(answer.headers.get('retry-after'), now) ??
    parseRetryAfter(error?.retryAt ?? null, now);
  const outcome = rowOutcome(row, detail, retryAfter);
  return row.channelError && outcome.status === 'failed'
    ? { ...outcome, channelError: true }
    : outcome;
}
