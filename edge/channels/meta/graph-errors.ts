import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, DETAIL_BODY_CHARS, type HttpAnswer } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import type { SendOutcome } from '../types';

/**
 * Graph API errors (WhatsApp, Messenger and Instagram all answer with them): the error object
 * `{ error: { message, type, code, error_subcode, error_data: { details }, fbtrace_id } }`
 * (Graph API, "Handling Errors"), classified by a failure table keyed by code and subcode.
 */

/** A Graph error as Meta returns it, flattened. */
export interface GraphError {
  code: number;
  subcode: number | null;
  message: string;
  /** `error_data.details`: what WhatsApp says went wrong, in words. */
  details: string | null;
  fbtraceId: string | null;
}

/** One row of a failure table: a Graph code (or range), optionally narrowed by subcode. */
export interface GraphFailureRow extends FailureRowOutcome {
  code: number | readonly [number, number];
  subcode?: number;
  /**
   * The row is for errors of this code that carry a subcode no other row names (rather than
   * for the code alone): a product may know its code's subcoded errors to be of another kind
   * than the bare code.
   */
  otherSubcodes?: true;
}

export type GraphFailureTable = readonly GraphFailureRow[];

const HANDLING_ERRORS = 'Graph API, Handling Errors, "Error Codes"';

/**
 * Codes every Graph product shares (Graph API, "Handling Errors"): product tables (WhatsApp's,
 * Messenger's) list their own codes first and end with these.
 */
export const GRAPH_FAILURES: GraphFailureTable = [
  { code: 1, reason: 'network', transient: true, doc: `${HANDLING_ERRORS}: 1 API Unknown, retry` },
  { code: 2, reason: 'network', transient: true, doc: `${HANDLING_ERRORS}: 2 API Service, retry` },
  {
    code: 4,
    reason: 'rate_limited',
    transient: true,
    doc: `${HANDLING_ERRORS}: 4 API Too Many Calls (app-level throttling)`,
  },
  {
    code: 17,
    reason: 'rate_limited',
    transient: true,
    doc: `${HANDLING_ERRORS}: 17 API User Too Many Calls`,
  },
  {
    code: 341,
    reason: 'rate_limited',
    transient: true,
    doc: `${HANDLING_ERRORS}: 341 Application limit reached`,
  },
  {
    code: 613,
    reason: 'rate_limited',
    transient: true,
    doc: `${HANDLING_ERRORS}: 613 Calls to this API have exceeded the rate limit`,
  },
  {
    code: 10,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${HANDLING_ERRORS}: 10 API Permission Denied`,
  },
  {
    code: 102,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${HANDLING_ERRORS}: 102 API Session (access token expired or invalid)`,
  },
  {
    code: 190,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${HANDLING_ERRORS}: 190 Access token has expired or was invalidated`,
  },
  {
    code: [200, 299],
    reason: 'credentials_rejected',
    transient: false,
    doc: `${HANDLING_ERRORS}: 200-299 API Permission`,
  },
  {
    code: 368,
    reason: 'rejected_by_provider',
    transient: false,
    doc: `${HANDLING_ERRORS}: 368 Temporarily blocked for policy violations`,
  },
];

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The error in a Graph answer (or in a webhook's `errors[]` entry), or null when none. */
export function parseGraphError(value: unknown): GraphError | null {
  const error =
    value && typeof value === 'object' && 'error' in value
      ? (value as { error: unknown }).error
      : value;
  if (!error || typeof error !== 'object') return null;
  const fields = error as Record<string, unknown>;
  const code = integer(fields.code);
  if (code === null) return null;
  const data = fields.error_data;
  return {
    code,
    subcode: integer(fields.error_subcode),
    message: text(fields.message) ?? text(fields.title) ?? 'Graph error',
    details:
      data && typeof data === 'object' ? text((data as Record<string, unknown>).details) : null,
    fbtraceId: text(fields.fbtrace_id),
  };
}

/** Parses a Graph answer's JSON body for its error. */
export function graphErrorOf(body: string): GraphError | null {
  try {
    return parseGraphError(JSON.parse(body));
  } catch {
    return null;
  }
}

function matchesCode(row: GraphFailureRow, code: number): boolean {
  return typeof row.code === 'number'
    ? row.code === code
    : code >= row.code[0] && code <= row.code[1];
}

/**
 * The row for a Graph error: one naming its subcode wins; then, for a subcode no row names, a
 * row for the code's other subcodes; then one for the code alone.
 */
export function findGraphFailure(
  table: GraphFailureTable,
  error: Pick<GraphError, 'code' | 'subcode'>,
): GraphFailureRow | undefined {
  const rows = table.filter((row) => matchesCode(row, error.code));
  return (
    rows.find((row) => row.subcode !== undefined && row.subcode === error.subcode) ??
    (error.subcode === null ? undefined : rows.find((row) => row.otherSubcodes)) ??
    rows.find((row) => row.subcode === undefined && !row.otherSubcodes)
  );
}

/** `(#131047) Re-engagement message: <details>` for failure details. */
export function graphErrorDetail(who: string, error: GraphError): string {
  const subcode = error.subcode === null ? '' : `/${error.subcode}`;
  const details = error.details ? `: ${error.details}` : '';
  return `${who} error ${error.code}${subcode}: ${error.message}${details}`.slice(
    0,
    DETAIL_BODY_CHARS * 2,
  );
}

const MINUTE_SECONDS = 60;

/**
 * When a throttled Graph caller may call again: `Retry-After` if sent, else the largest
 * `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage` (Graph API, "Rate
 * Limiting: Business Use Case Rate Limits"). Undefined without a hint (dispatch backs off).
 */
export function graphRetryAfterSeconds(headers: Headers, now: Date): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const usage = headers.get('x-business-use-case-usage');
  if (!usage) return undefined;
  try {
    const minutes = Object.values(JSON.parse(usage) as Record<string, unknown>)
      .flatMap((entries) => (Array.isArray(entries) ? entries : []))
      .map((entry) => integer((entry as Record<string, unknown>)?.estimated_time_to_regain_access))
      .filter((value): value is number => value !== null && value > 0);
    return minutes.length > 0
      ? parseRetryAfter(String(Math.max(...minutes) * MINUTE_SECONDS), now)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The outcome of a Graph answer that is not a success: the failure table's row for its error
 * code, else the shared HTTP classification (a proxy's 502 page, an error without a code).
 */
export function classifyGraphAnswer(
  answer: HttpAnswer,
  table: GraphFailureTable,
  who: string,
  now: Date,
): SendOutcome {
  const error = graphErrorOf(answer.body);
  const row = error ? findGraphFailure(table, error) : undefined;
  if (!error || !row) return classifyHttpStatus(answer, who, now);
  return rowOutcome(
    row,
    graphErrorDetail(who, error),
    row.transient ? graphRetryAfterSeconds(answer.headers, now) : undefined,
  );
}
