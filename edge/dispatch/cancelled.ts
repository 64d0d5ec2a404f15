import { type SQL, sql } from 'drizzle-orm';
import type { FailureReason } from '../../workflow/types';

/**
 * A delivery waiting for its retry when its run is cancelled is never sent: it fails with this
 * reason, by `cancelRun` (api/runs/exit.ts) when no attempt is in flight, else by the record of
 * the attempt in flight when its outcome is a retry (edge/dispatch/record.ts), or, when the
 * consumer making that attempt died before recording it, by the sweep once its claim expired
 * (edge/dispatch/sweep.ts). Each logs its `delivery.failed`.
 */
export const RUN_CANCELLED_REASON = 'run_cancelled' satisfies FailureReason;

/** The start of such a delivery's detail; the last attempt's detail (or reason) follows. */
export const RUN_CANCELLED_DETAIL_PREFIX =
  'The run was cancelled before this delivery was retried; its last attempt failed: ';

/** The detail of a delivery failed so, from its last attempt's detail (else its reason). */
export function runCancelledDetail(lastDetail: string | null, lastReason: string | null): string {
  return RUN_CANCELLED_DETAIL_PREFIX + (lastDetail ?? lastReason ?? '');
}

/**
 * The body of a data-modifying CTE that fails, with RUN_CANCELLED_REASON, the `queued` delivery
 * of each run in `runs` (a CTE or alias of ended runs' rows) at the visit it ended at, where
 * `which` (a condition on the run alias `r`) holds, returning the failed deliveries' rows. The
 * one statement of it that `cancelRun` runs (api/runs/exit.ts) and the sweep's, for a claim
 * whose holder died after the run was cancelled (edge/dispatch/sweep.ts).
 */
export function failQueuedDeliveries(runs: string, which: SQL): SQL {
  return sql`update deliveries d
    set status = 'failed', reason_code = ${RUN_CANCELLED_REASON}::text,
        reason_detail = ${RUN_CANCELLED_DETAIL_PREFIX}::text
          || coalesce(d.reason_detail, d.reason_code, ''),
        updated_at = now()
    from ${sql.raw(runs)} r
    where ${which} and d.run_id = r.id
      and d.step_id = r.current_step_id and d.visit = r.step_visit
      and d.status = 'queued'
    returning d.*`;
}
