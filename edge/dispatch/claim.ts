import { sql } from 'drizzle-orm';
import { v7 as uuidV7 } from 'uuid';
import type { Database } from '../../db/client';
import { jsonParam, queryPreparedRows, uuidArrayParam } from '../../db/rows';
import { CLAIM_LEASE_SECONDS } from './limits';

/** The delivery a send step owes one run at one visit. */
export interface DeliveryKey {
  workspaceId: string;
  runId: string;
  stepId: string;
  visit: number;
}

/** A delivery as the claim found it. */
export interface ClaimedDelivery {
  id: string;
  runId: string;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  /** Attempts including this one when claimed; the claim token the record step checks. */
  attempts: number;
  reasonCode: string | null;
  reasonDetail: string | null;
  /** Epoch ms; set while a claim is held. */
  leaseUntilMs: number | null;
  /**
   * Epoch ms (the database's clock) when this consumer claimed it; null when unclaimed. The
   * delivery row, written by the record, is created as of its first claim.
   */
  claimedAtMs: number | null;
  /** True when this consumer now holds the delivery and must send it. */
  claimed: boolean;
}

interface ClaimRow {
  id: string;
  run_id: string;
  status: ClaimedDelivery['status'];
  attempts: number;
  reason_code: string | null;
  reason_detail: string | null;
  lease_until_ms: number | null;
  claimed_at_ms: number | null;
  claimed: boolean;
}

/**
 * Claims the deliveries of a batch of send steps in one statement: a claim is on the run row
 * (a HOT update: `lease_until`, `delivery_attempts` + 1 and, at a visit's first claim, the
 * delivery's id), and the delivery row itself is written once, by the record, with the
 * attempt's outcome. A run is claimed when it is still active at that step visit, its
 * delivery is not finished, and nobody holds it: never claimed at this visit, waiting for a
 * retry, or held by a consumer whose lease expired (it crashed, possibly after the provider
 * accepted: the send is repeated with the same delivery id as idempotency key and Message-ID).
 * A run whose delivery is finished at this visit (`sent` or `failed`: a confirm-delivery wait,
 * a status callback that proved a retried send accepted, a dead letter) is returned unclaimed
 * with that status and reason, so a redelivered message sends nothing; so is a run a live claim
 * holds, with its lease. A key whose run is no longer active at that step visit (cancelled
 * after the batch loaded it), or that a concurrent statement claimed or finished after this
 * statement began, is absent from the result.
 */
export async function claimDeliveries(
  db: Database,
  keys: readonly DeliveryKey[],
  leaseSeconds = CLAIM_LEASE_SECONDS,
): Promise<ClaimedDelivery[]> {
  if (keys.length === 0) return [];
  // A visit's first claim gives its delivery an id: a time-ordered one (UUID version 7, as the
  // tables' `uuid_v7()` default), made here because Postgres's takes ~6 µs of the statement per
  // row (its random bytes), half of a 100-run claim's execution. Unused when the run has one.
  const rows = keys.map((key) => ({
    run_id: key.runId,
    step_id: key.stepId,
    visit: key.visit,
    new_delivery_id: uuidV7(),
  }));
  const runIds = uuidArrayParam(keys.map((key) => key.runId));
  // Rows are reached by primary key (`= any(runIds)`), whatever the statistics say. The
  // unclaimed runs (usually none) are read again, from this statement's snapshot, by the ids
  // left over, so the common batch reads its runs once.
  const result = await queryPreparedRows<ClaimRow>(
    db,
    sql`with given as materialized (
        select * from json_to_recordset(${jsonParam(rows)}::json)
          as k(run_id uuid, step_id uuid, visit int, new_delivery_id uuid)
      ),
      claimed as (
        update runs r
        set lease_until = now() + ${leaseSeconds} * interval '1 second',
            delivery_attempts = r.delivery_attempts + 1,
            delivery_id = coalesce(r.delivery_id, k.new_delivery_id)
        from given k
        where r.id = any(${runIds}) and r.id = k.run_id and (r.status = 'active') is true
          and r.current_step_id = k.step_id and r.step_visit = k.visit
          -- The tests are on the row being updated, so that what a concurrent statement
          -- committed first is seen (the row is re-checked): another claim, or a record, status
          -- or dead letter that finished the delivery (delivery_finished; a test on the
          -- deliveries row would see it as it was when this statement began).
          and (r.lease_until is null or r.lease_until < now())
          and not r.delivery_finished
        returning r.id, r.delivery_id, r.delivery_attempts, r.lease_until
      ),
      unclaimed as (
        select r.id as run_id, coalesce(d.id, r.delivery_id) as id,
               coalesce(d.status, 'sending') as status,
               coalesce(d.attempts, r.delivery_attempts) as attempts,
               d.reason_code, d.reason_detail, r.lease_until
        from runs r
        join given k on k.run_id = r.id and r.current_step_id = k.step_id
          and r.step_visit = k.visit
        left join deliveries d on r.delivery_finished and d.run_id = r.id
          and d.step_id = k.step_id and d.visit = k.visit
        where r.id = any(array(select run_id from given except select id from claimed))
          and (r.status = 'active') is true
          and (d.id is not null or r.lease_until >= now())
      )
      select delivery_id as id, id as run_id, 'sending' as status,
             delivery_attempts as attempts, null as reason_code, null as reason_detail,
             (extract(epoch from lease_until) * 1000)::float8 as lease_until_ms,
             (extract(epoch from now()) * 1000)::float8 as claimed_at_ms, true as claimed
      from claimed
      union all
      select id, run_id, status, attempts, reason_code, reason_detail,
             (extract(epoch from lease_until) * 1000)::float8, null, false
      from unclaimed`,
  );
  return result.map((row) => ({
    id: row.id,
    runId: row.run_id,
    status: row.status,
    attempts: row.attempts,
    reasonCode: row.reason_code,
    reasonDetail: row.reason_detail,
    leaseUntilMs: row.lease_until_ms,
    claimedAtMs: row.claimed_at_ms,
    claimed: row.claimed,
  }));
}
