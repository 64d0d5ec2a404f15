import type { FailureReason } from '../../../workflow/types';
import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, DETAIL_BODY_CHARS, type HttpAnswer } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import type { SendOutcome } from '../types';
import { TWILIO_API } from './api';

/**
 * Twilio error codes → our reasons. The same codes arrive in a send's error answer
 * (`{ code, message, more_info, status }`, Twilio Docs, REST API, "Errors") and as `ErrorCode`
 * in a `failed`/`undelivered` status callback ("Message resource": "Twilio's request to the
 * StatusCallback URL"). Every row cites its page of the Error and Warning Dictionary
 * (`https://www.twilio.com/docs/errors/<code>`); one test per row in failures.test.ts.
 */
export interface TwilioFailureRow extends FailureRowOutcome {
  code: number;
  /** The dictionary's title for the code, shown in failure details. */
  title: string;
}

const DICTIONARY = 'Twilio Docs, Error and Warning Dictionary';

function row(
  code: number,
  reason: FailureReason,
  title: string,
  transient = false,
): TwilioFailureRow {
  return { code, reason, transient, title, doc: `${DICTIONARY}: ${code} ${title}` };
}

export const TWILIO_FAILURES: readonly TwilioFailureRow[] = [
  // The account.
  row(20003, 'credentials_rejected', 'Authentication Error (wrong Account SID or auth token)'),
  row(20005, 'credentials_rejected', 'Account not active'),
  row(20404, 'channel_not_connected', 'The requested resource was not found (the account)'),
  row(20429, 'rate_limited', 'Too Many Requests', true),
  // The sender.
  row(21606, 'channel_not_connected', "The 'From' phone number is not a valid, SMS-capable number"),
  row(21659, 'channel_not_connected', "The 'From' is not a Twilio phone number or short code"),
  row(21703, 'channel_not_connected', 'The Messaging Service does not have a phone number'),
  // The recipient.
  row(21211, 'recipient_unavailable', "Invalid 'To' Phone Number"),
  row(21614, 'recipient_unavailable', "'To' number is not a valid mobile number"),
  row(21610, 'recipient_unavailable', 'Attempt to send to unsubscribed recipient (STOP)'),
  row(
    21408,
    'recipient_unavailable',
    'Permission to send an SMS has not been enabled for the region',
  ),
  row(21612, 'recipient_unavailable', "The 'To' phone number is not currently reachable"),
  // The message.
  row(21617, 'content_invalid', 'The concatenated message body exceeds the 1600 character limit'),
  row(21620, 'content_invalid', 'Invalid media URL(s)'),
  row(63016, 'messaging_window_closed', 'WhatsApp: outside the allowed window (use a template)'),
  row(63018, 'rate_limited', 'WhatsApp: rate limit exceeded for the channel', true),
  // After acceptance: what carriers report through status callbacks.
  row(30003, 'recipient_unavailable', 'Unreachable destination handset'),
  row(30004, 'recipient_unavailable', 'Message blocked'),
  row(30005, 'recipient_unavailable', 'Unknown destination handset'),
  row(30006, 'recipient_unavailable', 'Landline or unreachable carrier'),
  row(30007, 'rejected_by_provider', 'Message filtered (carrier violation)'),
  row(30008, 'rejected_by_provider', 'Unknown error'),
];

/** The row for a Twilio error code, if the table has one. */
export function twilioFailure(code: number): TwilioFailureRow | undefined {
  return TWILIO_FAILURES.find((candidate) => candidate.code === code);
}

/** A Twilio error answer's body ("Errors": code, message, more_info, status). */
export interface TwilioError {
  code: number;
  message: string;
}

/** The error in a Twilio answer, or null when the body is not one. */
export function twilioErrorOf(body: string): TwilioError | null {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (typeof parsed.code !== 'number' || !Number.isInteger(parsed.code)) return null;
    return {
      code: parsed.code,
      message: typeof parsed.message === 'string' ? parsed.message : 'Twilio error',
    };
  } catch {
    return null;
  }
}

/** `Twilio error 21211: Invalid 'To' Phone Number` for failure details. */
export function twilioErrorDetail(code: number, message: string): string {
  return `${TWILIO_API} error ${code}: ${message}`.slice(0, DETAIL_BODY_CHARS * 2);
}

/** What a status callback's `ErrorCode` means: the table's row, else a provider rejection. */
export function statusFailure(code: number | null): { reason: FailureReason; detail: string } {
  const known = code === null ? undefined : twilioFailure(code);
  if (!known) {
    return {
      reason: 'rejected_by_provider',
      detail: code === null ? 'Twilio reported the message undelivered' : `Twilio error ${code}`,
    };
  }
  return { reason: known.reason, detail: twilioErrorDetail(known.code, known.title) };
}

/**
 * The outcome of a Twilio answer that is not a success: the table's row for its error code,
 * else the shared HTTP classification (a gateway's 502 page, an error code we do not list).
 */
export function classifyTwilioAnswer(answer: HttpAnswer, now: Date): SendOutcome {
  const error = twilioErrorOf(answer.body);
  const known = error ? twilioFailure(error.code) : undefined;
  if (!error || !known) return classifyHttpStatus(answer, TWILIO_API, now);
  return rowOutcome(
    known,
    twilioErrorDetail(error.code, error.message),
    parseRetryAfter(answer.headers.get('retry-after'), now),
  );
}
