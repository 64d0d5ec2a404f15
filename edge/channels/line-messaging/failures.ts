import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, type HttpAnswer } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import type { SendOutcome } from '../types';
import { LINE_API, lineErrorMessage } from './messaging-api';

/**
 * LINE Messaging API errors → our reasons (Messaging API reference, "Status codes" and "Error
 * messages"). Rows match the HTTP status and, where one status means several things, the
 * documented error message. A 409 on a push with a retry key is not a failure (the message was
 * accepted before; see adapter.ts). One test per row in failures.test.ts.
 */
export interface LineFailureRow extends FailureRowOutcome {
  status: number;
  /** Matched against the error's `message` and details; absent matches any. */
  message?: RegExp;
}

const STATUS_CODES = 'LINE Messaging API reference, "Status codes"';
const ERROR_MESSAGES = 'LINE Messaging API reference, "Error messages"';

export const LINE_FAILURES: readonly LineFailureRow[] = [
  {
    status: 400,
    message: /property, 'to'/i,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_MESSAGES}: "The property, 'to', in the request body is invalid" (not a user id of this channel)`,
  },
  {
    status: 400,
    message: /Failed to send messages/i,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_MESSAGES}: "Failed to send messages" (e.g. the user id does not exist)`,
  },
  {
    status: 400,
    reason: 'content_invalid',
    transient: false,
    doc: `${STATUS_CODES}: 400 Problem with the request (an invalid message object)`,
  },
  {
    status: 401,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${STATUS_CODES}: 401 Valid channel access token is not specified`,
  },
  {
    status: 403,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${STATUS_CODES}: 403 Not authorized to use the API (plan or permission)`,
  },
  {
    status: 429,
    message: /monthly limit/i,
    reason: 'rate_limited',
    transient: false,
    doc: `${ERROR_MESSAGES}: 429 "You have reached your monthly limit." (the message quota is spent until next month)`,
  },
  {
    status: 429,
    reason: 'rate_limited',
    transient: true,
    doc: `${STATUS_CODES}: 429 Exceeded the rate limit for API calls`,
  },
];

export function findLineFailure(status: number, message: string): LineFailureRow | undefined {
  return LINE_FAILURES.find(
    (row) => row.status === status && (!row.message || row.message.test(message)),
  );
}

/** The outcome of a non-2xx LINE answer (5xx and unknown statuses by the shared HTTP rules). */
export function classifyLineAnswer(answer: HttpAnswer, now: Date): SendOutcome {
  const message = lineErrorMessage(answer.body);
  const row = findLineFailure(answer.status, message);
  if (!row) return classifyHttpStatus(answer, LINE_API, now);
  return rowOutcome(
    row,
    `${LINE_API} answered HTTP ${answer.status}${message ? `: ${message}` : ''}`,
    parseRetryAfter(answer.headers.get('retry-after'), now),
  );
}
