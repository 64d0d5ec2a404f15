import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, DETAIL_BODY_CHARS, type HttpAnswer } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import type { SendOutcome } from '../types';

/**
 * Google's error shapes, read into one. Google APIs answer `{ error: { code, message, status,
 * errors: [{ domain, reason, message }], details: [...] } }`: `errors[]` is the older form the
 * Gmail API's "Resolve errors" guide shows (`reason` such as `dailyLimitExceeded`), `status` the
 * canonical code (`PERMISSION_DENIED`) and `details[]` the error model's structured details
 * (Google Cloud API design guide, "Errors", "Error model" and "Error details"), among which a
 * `google.rpc.ErrorInfo` carries the machine-readable `reason` (`ACCESS_TOKEN_SCOPE_INSUFFICIENT`,
 * `RATE_LIMIT_EXCEEDED`, `SERVICE_DISABLED`: the `google.api.ErrorReason` values of the
 * `googleapis.com` domain). An answer may carry any of the three, or all. The OAuth 2.0 token
 * endpoint answers `{ error: "invalid_grant", error_description }` (RFC 6749 §5.2). Failure
 * tables match one of the error's names and the HTTP status.
 */

/** A Google error, flattened. */
export interface GoogleError {
  /**
   * The name shown in details: `errors[0].reason` (e.g. `userRateLimitExceeded`), else the
   * ErrorInfo `reason`, else `status`; or the OAuth `error` (`invalid_grant`).
   */
  name: string | null;
  /**
   * Every name the answer gives, in the order tables consult them: every `errors[].reason` (the
   * names the Gmail API's guide documents, and tells how to handle), the ErrorInfo reasons
   * (Google-wide), then `status` (the canonical code, the least specific).
   */
  names: string[];
  message: string;
  /** The time to retry a rate-limited request names in its message, if any (ISO 8601). */
  retryAt: string | null;
}

/** The `@type` of the error model's ErrorInfo detail (google.rpc.ErrorInfo). */
const ERROR_INFO_TYPE = /(^|\/)google\.rpc\.ErrorInfo$/;

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
    return { name: error, names: [error], message: description ?? error, retryAt: null };
  }
  if (!error || typeof error !== 'object') return null;
  const fields = error as Record<string, unknown>;
  const entries = (value: unknown) =>
    Array.isArray(value)
      ? value.filter(
          (entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object',
        )
      : [];
  const reasons = entries(fields.errors).flatMap((entry) => text(entry.reason) ?? []);
  const infoReasons = entries(fields.details)
    .filter(
      (detail) => typeof detail['@type'] === 'string' && ERROR_INFO_TYPE.test(detail['@type']),
    )
    .flatMap((detail) => text(detail.reason) ?? []);
  const status = text(fields.status);
  const first = entries(fields.errors)[0];
  return {
    name: reasons[0] ?? infoReasons[0] ?? status,
    names: [...new Set([...reasons, ...infoReasons, ...(status ? [status] : [])])],
    message: text(fields.message) ?? text(first?.message) ?? 'Google error',
    retryAt: retryAtIn([text(fields.message), text(first?.message)]),
  };
}

/**
 * The row for an answer: one naming one of its errors wins over one for the status alone; of
 * its names, the first (GoogleError.names' order) that a row names decides.
 */
export function findGoogleFailure(
  table: GoogleFailureTable,
  status: number,
  error: GoogleError | null,
): GoogleFailureRow | undefined {
  const rows = table.filter((row) => row.status === undefined || row.status === status);
  for (const name of error?.names ?? []) {
    const named = rows.find((row) => row.error === name);
    if (named) return named;
  }
  return rows.find((row) => row.error === undefined && row.status !== undefined);
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
