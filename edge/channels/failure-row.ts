import type { FailureReason } from './types';
import { permanentFailure, type SendOutcome, transientFailure } from './types';

/**
 * What every provider failure table row says besides how it matches: the reason, whether it is
 * retried, and the provider documentation section it comes from (failures.test.ts in each
 * integration checks one case per row and that every row cites its section).
 */
export interface FailureRowOutcome {
  reason: FailureReason;
  transient: boolean;
  doc: string;
}

/** The outcome a matched row gives, with the provider's own words as the detail. */
export function rowOutcome(
  row: FailureRowOutcome,
  detail: string,
  retryAfterSeconds?: number,
): SendOutcome {
  return row.transient
    ? transientFailure(row.reason, detail, retryAfterSeconds)
    : permanentFailure(row.reason, detail);
}
