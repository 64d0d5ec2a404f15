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
    return { name: error, message: description ?? error };
  }
  if (!error || typeof error !== 'object') return null;
  const fields = error as Record<string, unknown>;
  const first = Array.isArray(fields.errors) ? (fields.errors[0] as Record<string, unknown>) : null;
  return {
    name: text(first?.reason) ?? text(fields.status),
    message: text(fields.message) ?? text(first?.message) ?? 'Google error',
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
  const outcome = rowOutcome(row, detail, parseRetryAfter(answer.headers.get('retry-after'), now));
  return row.channelError && outcome.status === 'failed'
    ? { ...outcome, channelError: true }
    : outcome;
}
