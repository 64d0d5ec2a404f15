import type { FailureReason } from '../../workflow/types';

/**
 * A delivery waiting for its retry when its run is cancelled is never sent: it fails with this
 * reason, by `cancelRun` (api/runs/exit.ts) when no attempt is in flight, else by the record of
 * the attempt in flight when its outcome is a retry (edge/dispatch/record.ts). Both log its
 * `delivery.failed`.
 */
export const RUN_CANCELLED_REASON = 'run_cancelled' satisfies FailureReason;

/** The start of such a delivery's detail; the last attempt's detail (or reason) follows. */
export const RUN_CANCELLED_DETAIL_PREFIX =
  'The run was cancelled before this delivery was retried; its last attempt failed: ';

/** The detail of a delivery failed so, from its last attempt's detail (else its reason). */
export function runCancelledDetail(lastDetail: string | null, lastReason: string | null): string {
  return RUN_CANCELLED_DETAIL_PREFIX + (lastDetail ?? lastReason ?? '');
}
