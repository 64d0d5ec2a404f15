import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import type { SendOutcome } from '../types';
import { VIBER_API } from './bot-api';

/**
 * Viber REST Bot API `status` codes → our reasons (REST Bot API, "Errors": the table of codes
 * 1-24; "General error" for anything above). One test per row in failures.test.ts.
 */
export interface ViberFailureRow extends FailureRowOutcome {
  status: number;
  /** Viber's name for the code. */
  name: string;
}

const ERRORS = 'Viber REST Bot API, "Errors"';

function row(
  status: number,
  name: string,
  reason: FailureRowOutcome['reason'],
  transient = false,
): ViberFailureRow {
  return { status, name, reason, transient, doc: `${ERRORS}: ${status} ${name}` };
}

export const VIBER_FAILURES: readonly ViberFailureRow[] = [
  row(1, 'invalidUrl', 'channel_not_connected'),
  row(2, 'invalidAuthToken', 'credentials_rejected'),
  row(3, 'badData', 'content_invalid'),
  row(4, 'missingData', 'content_invalid'),
  row(5, 'receiverNotRegistered', 'recipient_unavailable'),
  row(6, 'receiverNotSubscribed', 'recipient_unavailable'),
  row(7, 'publicAccountBlocked', 'channel_not_connected'),
  row(8, 'publicAccountNotFound', 'channel_not_connected'),
  row(9, 'publicAccountSuspended', 'channel_not_connected'),
  row(10, 'webhookNotSet', 'channel_not_connected'),
  row(11, 'receiverNoSuitableDevice', 'recipient_unavailable'),
  row(12, 'tooManyRequests', 'rate_limited', true),
  row(13, 'apiVersionNotSupported', 'content_invalid'),
  row(14, 'incompatibleWithVersion', 'content_invalid'),
  row(15, 'publicAccountNotAuthorized', 'credentials_rejected'),
  row(21, 'unsupportedCountry', 'recipient_unavailable'),
  row(23, 'freeMessagesExceeded', 'rate_limited'),
  row(24, 'noBalance', 'rejected_by_provider'),
];

/** The outcome of a Viber answer whose `status` is not 0; codes no row names are general errors. */
export function classifyViberStatus(status: number, statusMessage: string): SendOutcome {
  const found = VIBER_FAILURES.find((candidate) => candidate.status === status);
  const detail = `${VIBER_API} status ${status}${statusMessage ? ` (${statusMessage})` : ''}`;
  if (found) return rowOutcome(found, detail);
  // Documented codes about features we do not use (inline, broadcast, payments) are refusals;
  // anything above 24 is Viber's "General error", retried with backoff.
  return status >= 1 && status <= 24
    ? rowOutcome({ reason: 'rejected_by_provider', transient: false, doc: ERRORS }, detail)
    : rowOutcome({ reason: 'network', transient: true, doc: ERRORS }, detail);
}
