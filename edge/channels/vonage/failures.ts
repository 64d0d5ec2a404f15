import type { FailureReason } from '../../../workflow/types';
import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, DETAIL_BODY_CHARS, type HttpAnswer } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import type { SendOutcome } from '../types';
import { VONAGE_API } from './api';

/**
 * Vonage errors → our reasons. Vonage answers errors in RFC 7807 form (`{ type, title, detail,
 * instance }`, Vonage docs, "API Errors") whose `type` URL ends in the error's code: a generic
 * one (`…/api-errors#unauthorized`) or a Messages API one (`…/api-errors/messages#1000`); the
 * same objects arrive as `error` in `rejected`/`undeliverable` status webhooks. One test per
 * row in failures.test.ts.
 */
export interface VonageFailureRow extends FailureRowOutcome {
  code: string;
  title: string;
}

const GENERIC = 'Vonage docs, API Errors, Generic Errors';
const MESSAGES = 'Vonage docs, API Errors, Messages API';

function row(
  code: string,
  reason: FailureReason,
  title: string,
  transient = false,
): VonageFailureRow {
  const page = /^\d+$/.test(code) ? MESSAGES : GENERIC;
  return { code, reason, transient, title, doc: `${page}: ${code} ${title}` };
}

export const VONAGE_FAILURES: readonly VonageFailureRow[] = [
  row('unauthorized', 'credentials_rejected', 'You did not provide correct credentials'),
  row('jwt-expired', 'credentials_rejected', 'The JWT provided has expired'),
  row('jwt-revoked', 'credentials_rejected', 'The JWT provided has been revoked'),
  row('invalid-api-key', 'credentials_rejected', 'The API key provided does not exist'),
  row('low-balance', 'channel_not_connected', 'The account balance is too low'),
  row('account-suspended', 'channel_not_connected', 'This account has been suspended'),
  row('1000', 'rate_limited', 'Throttled: the submission capacity was exceeded', true),
  row('1020', 'content_invalid', 'Invalid params'),
  row('1022', 'template_invalid', 'Invalid template or template parameters'),
  row('1030', 'network', 'Internal error', true),
  row('1040', 'recipient_unavailable', 'Invalid message (e.g. an unrecognised number prefix)'),
  row('1050', 'recipient_unavailable', 'Number barred'),
  row('1060', 'channel_not_connected', 'Partner account barred'),
  row('1070', 'channel_not_connected', 'Partner quota exceeded (insufficient credit)'),
  row('1100', 'network', 'Communication failed', true),
  row('1120', 'channel_not_connected', 'Illegal Sender Address - rejected'),
  row('1160', 'recipient_unavailable', 'Non White-listed Destination'),
];

/** An RFC 7807 error from Vonage. */
export interface VonageError {
  code: string | null;
  title: string;
  detail: string | null;
}

/** The error in a problem object (an answer's body, or a status webhook's `error`). */
export function parseVonageError(value: unknown): VonageError | null {
  if (!value || typeof value !== 'object') return null;
  const fields = value as Record<string, unknown>;
  if (typeof fields.type !== 'string' && typeof fields.title !== 'string') return null;
  const hash = typeof fields.type === 'string' ? fields.type.split('#')[1] : undefined;
  return {
    code: hash || null,
    title: typeof fields.title === 'string' ? fields.title : 'Vonage error',
    detail: typeof fields.detail === 'string' ? fields.detail : null,
  };
}

export function vonageFailure(code: string | null): VonageFailureRow | undefined {
  return code === null ? undefined : VONAGE_FAILURES.find((candidate) => candidate.code === code);
}

/** `Vonage error 1000: Throttled: …` for failure details. */
export function vonageErrorDetail(error: VonageError): string {
  const code = error.code ? ` ${error.code}` : '';
  const detail = error.detail ? `: ${error.detail}` : '';
  return `${VONAGE_API} error${code}: ${error.title}${detail}`.slice(0, DETAIL_BODY_CHARS * 2);
}

/**
 * The outcome of a Vonage answer that is not a success: the table's row for its error code,
 * else the shared HTTP classification.
 */
export function classifyVonageAnswer(answer: HttpAnswer, now: Date): SendOutcome {
  let error: VonageError | null = null;
  try {
    error = parseVonageError(JSON.parse(answer.body));
  } catch {
    error = null;
  }
  const known = error ? vonageFailure(error.code) : undefined;
  if (!error || !known) return classifyHttpStatus(answer, VONAGE_API, now);
  return rowOutcome(
    known,
    vonageErrorDetail(error),
    parseRetryAfter(answer.headers.get('retry-after'), now),
  );
}
