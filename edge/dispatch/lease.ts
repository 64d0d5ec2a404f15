import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { jsonParam, uuidArrayParam } from '../../db/rows';
import { log } from '../log';
import type { ClaimedDelivery } from './claim';
import { CLAIM_LEASE_SECONDS, LEASE_RENEW_SECONDS } from './limits';

/**
 * Extends the claims this consumer still holds. A run is ours while it holds a lease on the
 * delivery we claimed, with the attempt count we claimed it at (the claim token): a run whose
 * lease ran out and that another consumer claimed since has a higher count, or, moved on to
 * its next visit, another delivery, and is left alone.
 */
export function renewLeases(
  db: Database,
  claims: readonly HeldClaim[],
  leaseSeconds = CLAIM_LEASE_SECONDS,
): Promise<number> {
  return updateHeldRuns(
    db,
    claims,
    sql`lease_until = now() + ${leaseSeconds} * interval '1 second'`,
  );
}

/**
 * What giving a claim back sets. A visit's first claim given back made no attempt at all: the
 * channel it pinned (a Last Interacted send, claim.ts) is unpinned, as no message can have gone
 * out there.
 */
const GIVE_BACK = sql`lease_until = null, delivery_attempts = r.delivery_attempts - 1,
    delivery_channel_id = case when r.delivery_attempts > 1 then r.delivery_channel_id end,
    updated_at = now()`;

/**
 * Gives back claims this consumer made no attempt with (its batch failed after claiming and
 * before sending): the lease is cleared and the attempt count goes back to what it was, so the
 * queue's retry of the messages claims the runs at once instead of after the lease, and the
 * failure spends none of the sends' attempts (a first claim's pinned channel is cleared too).
 * Only claims still ours, as for renewLeases; a claim given back cannot be recorded any more
 * (its token is gone with the lease).
 */
export function releaseClaims(db: Database, claims: readonly HeldClaim[]): Promise<number> {
  return updateHeldRuns(db, claims, GIVE_BACK);
}

/**
 * Gives back claims whose sends wait for their channel's pace (edge/dispatch/pace.ts), as
 * releaseClaims does, and stamps each run's `enqueued_at` with when the message that brings it
 * back becomes visible (now + its delay), in the same statement: the caller then sends those
 * messages with `enqueueStamped`, as the record statement's runs are.
 */
export function deferClaims(
  db: Database,
  claims: readonly (HeldClaim & { delaySeconds: number })[],
): Promise<number> {
  return updateHeldRuns(
    db,
    claims,
    sql`${GIVE_BACK}, enqueued_at = now() + held.delay * interval '1 second'`,
  );
}

/** What names a claim: its run, its delivery and its token. */
type HeldClaim = Pick<ClaimedDelivery, 'id' | 'runId' | 'attempts'>;

/** Updates (`set`) the runs whose claim in `claims` this consumer still holds; their count. */
async function updateHeldRuns(
  db: Database,
  claims: readonly (HeldClaim & { delaySeconds?: number })[],
  set: SQL,
): Promise<number> {
  if (claims.length === 0) return 0;
  const held = claims.map(({ id, runId, attempts, delaySeconds }) => ({
    run_id: runId,
    delivery_id: id,
    attempts,
    delay: delaySeconds ?? 0,
  }));
  const result = await db.execute(
    sql`update runs r
        set ${set}
        from json_to_recordset(${jsonParam(held)}::json)
          as held(run_id uuid, delivery_id uuid, attempts int, delay int)
        where r.id = any(${uuidArrayParam(held.map((claim) => claim.run_id))})
          and r.id = held.run_id and r.delivery_id = held.delivery_id
          and r.delivery_attempts = held.attempts and r.lease_until is not null`,
  );
  return (result as { rowCount?: number | null }).rowCount ?? 0;
}

/**
 * Runs `work` while renewing the batch's leases every `everySeconds`; renewal stops when the
 * work ends, whatever its outcome. A failed renewal is logged and tried again at the next
 * tick: the lease still has two thirds of its time left.
 */
export async function whileHoldingLeases<T>(
  db: Database,
  claims: readonly HeldClaim[],
  work: () => Promise<T>,
  everySeconds = LEASE_RENEW_SECONDS,
): Promise<T> {
  const timer = setInterval(function renew() {
    renewLeases(db, claims).catch((error: unknown) =>
      log('warn', 'dispatch: renewing leases failed', { deliveries: claims.length, error }),
    );
  }, everySeconds * 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
