import { sql } from 'drizzle-orm';
import { v7 as uuidV7 } from 'uuid';
import type { Database } from '../../db/client';
import { jsonParam, queryPreparedRows, uuidArrayParam } from '../../db/rows';
import type { ChannelType } from '../../workflow/types';
import { CLAIM_LEASE_SECONDS } from './limits';

/** The delivery a send step owes one run at one visit. */
export interface DeliveryKey {
  workspaceId: string;
  runId: string;
  stepId: string;
  visit: number;
  /**
   * A Last Interacted send: the channel the consumer resolved it to (the contact's last
   * interacted channel as loaded, or the one the visit is pinned to already), pinned on the run
   * by this claim unless one is pinned already (`ClaimedDelivery.deliveryChannelId` says which
   * holds). Null or absent for a send to a specific channel.
   */
  pinChannelId?: string | null;
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
  /**
   * The channel the visit's delivery is pinned to (`runs.delivery_channel_id`) as claimed by
   * `claimDeliveries`, which a Last Interacted send goes to; null when none, or when the load
   * claimed it (the runs it loads carry it already, as their contact's last interacted channel).
   */
  deliveryChannelId: string | null;
  /**
   * For a delivery found finished (`sent`): what routing a confirm-delivery step needs
   * (route.ts, routeFinishedDelivery): the provider's latest status, the seconds since the
   * provider accepted it (`sent_at`, by the database's clock), and its channel's type and
   * provider (whether it reports delivery). Null otherwise.
   */
  accepted: AcceptedDelivery | null;
}

/** A finished delivery's acceptance, as `claimDeliveries` returns it unclaimed. */
export interface AcceptedDelivery {
  providerStatus: 'sent' | 'delivered' | 'read' | 'failed' | null;
  secondsAgo: number;
  channel: { type: ChannelType; provider: string | null } | null;
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
  delivery_channel_id: string | null;
  provider_status: AcceptedDelivery['providerStatus'];
  accepted_seconds_ago: number | null;
  channel_type: ChannelType | null;
  channel_provider: string | null;
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
    pin_channel_id: key.pinChannelId ?? null,
  }));
  const runIds = uuidArrayParam(keys.map((key) => key.runId));
  // Rows are reached by primary key (`= any(runIds)`), whatever the statistics say. The
  // unclaimed runs (usually none) are read again, from this statement's snapshot, by the ids
  // left over, so the common batch reads its runs once.
  const result = await queryPreparedRows<ClaimRow>(
    db,
    sql`with given as materialized (
        select * from json_to_recordset(${jsonParam(rows)}::json)
          as k(run_id uuid, step_id uuid, visit int, new_delivery_id uuid, pin_channel_id uuid)
      ),
      claimed as (
        update runs r
        set lease_until = now() + ${leaseSeconds} * interval '1 second',
            delivery_attempts = r.delivery_attempts + 1,
            delivery_id = coalesce(r.delivery_id, k.new_delivery_id),
            -- Where a Last Interacted send goes, pinned before the provider is called (load.ts).
            delivery_channel_id = coalesce(r.delivery_channel_id, k.pin_channel_id)
        from given k
        where r.id = any(${runIds}) and r.id = k.run_id and (r.status = 'active') is true
          and r.current_step_id = k.step_id and r.step_visit = k.visit
          -- The tests are on the row being updated, so that what a concurrent statement
          -- committed first is seen (the row is re-checked): another claim, or a record, status
          -- or dead letter that finished the delivery (delivery_finished; a test on the
          -- deliveries row would see it as it was when this statement began).
          and (r.lease_until is null or r.lease_until < now())
          and not r.delivery_finished
        returning r.id, r.delivery_id, r.delivery_attempts, r.lease_until, r.delivery_channel_id
      ),
      unclaimed as (
        select r.id as run_id, coalesce(d.id, r.delivery_id) as id,
               coalesce(d.status, 'sending') as status,
               coalesce(d.attempts, r.delivery_attempts) as attempts,
               d.reason_code, d.reason_detail, r.lease_until, d.provider_status,
               extract(epoch from now() - d.sent_at)::float8 as accepted_seconds_ago,
               c.type as channel_type, c.provider as channel_provider
        from runs r
        join given k on k.run_id = r.id and r.current_step_id = k.step_id
          and r.step_visit = k.visit
        left join deliveries d on r.delivery_finished and d.run_id = r.id
          and d.step_id = k.step_id and d.visit = k.visit
        left join channels c on c.id = d.channel_id
        where r.id = any(array(select run_id from given except select id from claimed))
          and (r.status = 'active') is true
          and (d.id is not null or r.lease_until >= now())
      )
      select delivery_id as id, id as run_id, 'sending' as status,
             delivery_attempts as attempts, null as reason_code, null as reason_detail,
             (extract(epoch from lease_until) * 1000)::float8 as lease_until_ms,
             (extract(epoch from now()) * 1000)::float8 as claimed_at_ms, true as claimed,
             delivery_channel_id, null as provider_status, null::float8 as accepted_seconds_ago,
             null as channel_type, null as channel_provider
      from claimed
      union all
      select id, run_id, status, attempts, reason_code, reason_detail,
             (extract(epoch from lease_until) * 1000)::float8, null, false, null,
             provider_status, accepted_seconds_ago, channel_type, channel_provider
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
    deliveryChannelId: row.delivery_channel_id,
    accepted:
      row.status === 'sent' && row.accepted_seconds_ago !== null
        ? {
            providerStatus: row.provider_status,
            secondsAgo: row.accepted_seconds_ago,
            channel: row.channel_type
              ? { type: row.channel_type, provider: row.channel_provider }
              : null,
          }
        : null,
  }));
}
