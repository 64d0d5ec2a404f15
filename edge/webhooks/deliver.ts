import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import type { CredentialCipher } from '../../db/credentials';
import {
  appendEventsCte,
  batchElements,
  type EventRow,
  eventColumns,
  eventRowJson,
} from '../../db/event-log';
import { jsonParam, queryRows } from '../../db/rows';
import { publishQuietly } from '../events/publish';
import { type EventPublisher, loggedEventFromRow } from '../events/types';
import { log } from '../log';
import {
  DEFAULT_DISABLE_AFTER_HOURS,
  LOST_CLAIM_RETRY_SECONDS,
  MAX_LOST_CLAIMS,
  MAX_WEBHOOK_ATTEMPTS,
  RETRY_SCHEDULE_SECONDS,
  WEBHOOK_CONCURRENCY,
  WEBHOOK_LEASE_SECONDS,
  WEBHOOK_TIMEOUT_MS,
} from './limits';
import { type AttemptResult, postWebhook } from './post';
import { enqueueWebhookMessages, type WebhookQueue } from './queue';
import { signedHeaders, signingSecrets } from './secrets';

/** What delivering needs; `now` is the clock (tests move it to walk the retry schedule). */
export interface WebhookDeliveryDeps {
  db: Database;
  cipher: CredentialCipher;
  queue: WebhookQueue | undefined;
  allowPrivateUrls: boolean;
  /** Where `webhook.endpoint_disabled` events are published after they are logged. */
  events?: EventPublisher;
  now?: () => Date;
  /** Continuous failure after which an endpoint is disabled (default 5 days). */
  disableAfterHours?: number;
  timeoutMs?: number;
  /** How long a batch retries messages that lost a claim before (LOST_CLAIM_RETRY_SECONDS). */
  lostClaimRetryMs?: number;
}

/** A message claimed for one attempt, with what sending it needs. */
interface ClaimedMessage {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  url: string;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: string | null;
  event: EventRow;
}

/** The JSON body of a webhook: the partner event, with Standard Webhooks' `type`/`timestamp`. */
export function webhookBody(row: EventRow): string {
  const { event } = loggedEventFromRow(row);
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt,
    v: event.v,
    cursor: event.cursor,
    data: event.data,
  });
}

/**
 * The `error` of the attempt row a takeover writes for the claim it takes over: that claim's
 * consumer stopped before recording what its POST did. Such rows are how lost claims are
 * counted (rows of the current schedule's attempt: `attempted_at` at or after the message's
 * `next_attempt_at`), apart from the recorded attempts (`attempts`) that the schedule counts.
 */
export const LOST_CLAIM_ERROR =
  'lost: the consumer holding this attempt stopped before recording it ' +
  '(the POST may have reached the endpoint)';

/** The `error` of the last lost claim of a message given up after MAX_LOST_CLAIMS of them. */
export const GAVE_UP_ERROR =
  `${LOST_CLAIM_ERROR}; given up after ${MAX_LOST_CLAIMS} lost claims of one attempt ` +
  '(replay the message to try again)';

/** The lost-claim rows of a message's current attempt (`m` is the message). */
function lostClaims(m: string) {
  return sql`(select count(*)::int from webhook_attempts a
              where a.message_id = ${sql.raw(m)}.id
                and a.attempted_at >= ${sql.raw(m)}.next_attempt_at
                and a.status_code is null and a.succeeded = false
                and left(a.error, 6) = 'lost: ')`;
}

/**
 * Claims messages for one attempt: pending and due, or delivering with an expired lease (its
 * consumer died), of an enabled endpoint. A message claimed by a live consumer, already
 * delivered, or not yet due is not claimed, so a redelivered or duplicate queue message sends
 * nothing twice. The claim does not count an attempt: `record` does, for every attempt it
 * records. A consumer that died holding a claim recorded nothing, so taking its claim over
 * does not use up one of the message's attempts (counted here, every crash cost one).
 *
 * A takeover writes an attempt row for the claim it takes over (`LOST_CLAIM_ERROR`, at that
 * claim's time): its POST may have reached the endpoint, and these rows count the attempt's
 * lost claims. The takeover that finds MAX_LOST_CLAIMS - 1 of them already there gives the
 * message up (`failed`, `GAVE_UP_ERROR`) instead of sending it again. `firstTakeoversOnly`
 * leaves out messages whose attempt has lost a claim before (suspects that may crash every
 * consumer): the caller claims those one at a time.
 */
async function claim(
  db: Database,
  ids: readonly string[],
  now: Date,
  leaseUntil: Date,
  firstTakeoversOnly: boolean,
): Promise<ClaimedMessage[]> {
  // A message's event is in the first batch of its workspace whose last cursor is at or past
  // the event's (one primary-key probe). Each batch the messages need is expanded once (a
  // batch's messages are mostly consecutive events), not read again for every message.
  const batchOf = (m: string) =>
    sql`select b.workspace_id, b.last_cursor from event_batches b
        where b.workspace_id = ${sql.raw(m)}.workspace_id and b.last_cursor >= ${sql.raw(m)}.event_cursor
        order by b.last_cursor limit 1`;
  const at = now.toISOString();
  const claimable = (m: string) =>
    sql`((${sql.raw(m)}.status = 'pending' and ${sql.raw(m)}.next_attempt_at <= ${at}::timestamptz)
        or (${sql.raw(m)}.status = 'delivering' and ${sql.raw(m)}.lease_until < ${at}::timestamptz))`;
  const rows = await queryRows<ClaimedMessage & { gave_up: boolean }>(
    db,
    sql`with candidates as (
          select m.id, m.status as was, m.lease_until as lost_lease,
                 case when m.status = 'delivering' then ${lostClaims('m')} else 0 end as lost
          from webhook_messages m
          join webhook_endpoints ep on ep.id = m.endpoint_id and ep.enabled
          where m.id = any(${sql.param([...ids])}::text[])
            and exists (${batchOf('m')})
            and ${claimable('m')}
        ),
        chosen as (
          select c.*, c.was = 'delivering' and c.lost + 1 >= ${MAX_LOST_CLAIMS} as gave_up
          from candidates c
          where ${sql.raw(firstTakeoversOnly ? 'c.lost = 0' : 'true')}
        ),
        claimed as (
          update webhook_messages m
          set status = case when c.gave_up then 'failed' else 'delivering' end,
              lease_until = case when c.gave_up then null
                                 else ${leaseUntil.toISOString()}::timestamptz end,
              enqueued_at = case when c.gave_up then null else m.enqueued_at end
          from chosen c, webhook_endpoints ep
          where m.id = c.id and ep.id = m.endpoint_id and ep.enabled
            and ${claimable('m')}
            and m.status = c.was and m.lease_until is not distinct from c.lost_lease
          returning m.id, m.workspace_id, m.endpoint_id, m.event_cursor, ep.url,
                    ep.secret_ciphertext, ep.previous_secret_ciphertext,
                    ep.previous_secret_expires_at, c.was, c.lost_lease, c.gave_up
        ),
        lost as (
          insert into webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at,
                                        status_code, latency_ms, response_excerpt, error, succeeded)
          select workspace_id, id, endpoint_id,
                 lost_lease - ${WEBHOOK_LEASE_SECONDS} * interval '1 second', null, 0, null,
                 case when gave_up then ${GAVE_UP_ERROR} else ${LOST_CLAIM_ERROR} end, false
          from claimed where was = 'delivering'
        ),
        needed as (
          select distinct k.workspace_id, k.last_cursor
          from claimed c cross join lateral (${batchOf('c')}) k
          where not c.gave_up
        )
        select c.id, c.workspace_id, c.endpoint_id, c.url, c.secret_ciphertext,
               c.previous_secret_ciphertext, c.previous_secret_expires_at, false as gave_up,
               ${eventRowJson('e')} as event
        from needed k
        join event_batches b on b.workspace_id = k.workspace_id and b.last_cursor = k.last_cursor
        cross join lateral (select ${eventColumns('b')} from ${batchElements('b')}) e
        join claimed c on c.workspace_id = e.workspace_id and c.event_cursor = e.cursor
                      and not c.gave_up
        union all
        select c.id, c.workspace_id, c.endpoint_id, c.url, c.secret_ciphertext,
               c.previous_secret_ciphertext, c.previous_secret_expires_at, true, null
        from claimed c where c.gave_up`,
  );
  const gaveUp = rows.filter((row) => row.gave_up).map((row) => row.id);
  if (gaveUp.length > 0) {
    log('error', 'webhooks: gave up on messages whose consumers kept stopping', {
      messageIds: gaveUp,
      lostClaims: MAX_LOST_CLAIMS,
    });
  }
  return rows.filter((row) => !row.gave_up);
}

/**
 * Of these messages, those whose attempt has lost a claim before and whose claim is lost again
 * (lease expired): the ones `claim(…, firstTakeoversOnly)` left out. Fewest lost claims first.
 */
async function suspects(db: Database, ids: readonly string[], now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select m.id from webhook_messages m
        where m.id = any(${sql.param([...ids])}::text[])
          and m.status = 'delivering' and m.lease_until < ${now.toISOString()}::timestamptz
        order by ${lostClaims('m')}, m.id`,
  );
  return rows.map((row) => row.id);
}

/** An endpoint's secrets, decrypted once per batch however many of its messages it holds. */
type SecretsCache = Map<string, Promise<string[]>>;

function secretsFor(
  deps: WebhookDeliveryDeps,
  cache: SecretsCache,
  message: ClaimedMessage,
  now: Date,
): Promise<string[]> {
  let secrets = cache.get(message.endpoint_id);
  if (!secrets) {
    secrets = signingSecrets(
      deps.cipher,
      {
        secretCiphertext: message.secret_ciphertext,
        previousSecretCiphertext: message.previous_secret_ciphertext,
        previousSecretExpiresAt: message.previous_secret_expires_at
          ? new Date(message.previous_secret_expires_at)
          : null,
      },
      now,
    );
    cache.set(message.endpoint_id, secrets);
  }
  return secrets;
}

/** One attempt's result and when it started: its `webhook-timestamp`, its `attempted_at`. */
interface Attempt extends AttemptResult {
  attemptedAt: Date;
}

async function attempt(
  deps: WebhookDeliveryDeps,
  cache: SecretsCache,
  message: ClaimedMessage,
  now: Date,
): Promise<Attempt> {
  const body = webhookBody(message.event);
  let secrets: string[];
  try {
    secrets = await secretsFor(deps, cache, message, now);
  } catch (error) {
    log('error', 'webhooks: the signing secret does not decrypt (CREDENTIALS_KEY changed?)', {
      endpointId: message.endpoint_id,
      error,
    });
    return {
      statusCode: null,
      latencyMs: 0,
      responseExcerpt: null,
      error: 'the signing secret could not be read',
      succeeded: false,
      attemptedAt: deps.now?.() ?? new Date(),
    };
  }
  // Standard Webhooks, "Webhook metadata": `webhook-timestamp` is "the timestamp of when the
  // webhook attempt has been made", read when this POST starts: in a batch of slow endpoints the
  // last attempts start minutes after the claim, and receivers allow 5 minutes. The attempt is
  // recorded at the same time, so its `attemptedAt` is the timestamp the partner saw.
  const sentAt = deps.now?.() ?? new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'sendflow-webhooks/1',
    ...(await signedHeaders(secrets, message.id, sentAt, body)),
  };
  const result = await postWebhook(message.url, headers, body, {
    timeoutMs: deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
    allowPrivateUrls: deps.allowPrivateUrls,
  });
  return { ...result, attemptedAt: sentAt };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** What happens to a message after an attempt, `attempts` (this one included) recorded. */
function nextState(attempts: number, result: AttemptResult) {
  if (result.succeeded) return { status: 'succeeded', delay: 0 };
  if (result.statusCode === 410) return { status: 'failed', delay: 0 };
  if (attempts >= MAX_WEBHOOK_ATTEMPTS) return { status: 'failed', delay: 0 };
  return { status: 'pending', delay: RETRY_SCHEDULE_SECONDS[attempts] ?? 0 };
}

/**
 * Records a batch's attempts and moves its messages on. Every attempt is recorded and counted
 * (`attempts`, the message's count in its schedule, grows here and only here). Only a message
 * still held by this claim (`lease_until`) moves: one whose lease ran out and that another
 * consumer claimed is left to it (its attempt is still recorded and counted: it happened). A
 * message deleted while it was attempted (its endpoint was deleted) gets no attempt row: its
 * foreign key would fail the statement, leaving the batch's other messages `delivering` until
 * their lease ran out and the sweep sent them again. So the messages are locked first, in id
 * order, in the same transaction (`for no key update`: a delete that starts meanwhile waits
 * for it, and two consumers recording one message, the second having taken over an expired
 * claim, take turns without a deadlock); the next state is then computed from the count as
 * the locked row holds it.
 */
async function record(
  db: Database,
  claimed: readonly ClaimedMessage[],
  results: readonly Attempt[],
  leaseUntil: Date,
) {
  const rows = claimed.map((message, index) => {
    const result = results[index]!;
    return {
      id: message.id,
      workspace_id: message.workspace_id,
      endpoint_id: message.endpoint_id,
      attempted_at: result.attemptedAt.toISOString(),
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      excerpt: result.responseExcerpt,
      error: result.error,
      succeeded: result.succeeded,
    };
  });
  const moved = await db.transaction(async function recordAttempts(tx) {
    const present = await queryRows<{ id: string }>(
      tx as unknown as Database,
      sql`select id from webhook_messages
          where id = any(${sql.param(rows.map((row) => row.id))}::text[])
          order by id for no key update`,
    );
    const kept = new Set(present.map((row) => row.id));
    const recorded = rows.filter((row) => kept.has(row.id));
    if (recorded.length === 0) return [];
    const counted = await queryRows<{ id: string; attempts: number; held: boolean }>(
      tx as unknown as Database,
      sql`with r as (
            select * from json_to_recordset(${jsonParam(recorded)}::json) as r(
              id text, workspace_id uuid, endpoint_id uuid, attempted_at timestamptz,
              status_code int, latency_ms int, excerpt text, error text, succeeded boolean)
          ),
          attempts as (
            insert into webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at,
                                          status_code, latency_ms, response_excerpt, error, succeeded)
            select workspace_id, id, endpoint_id, attempted_at, status_code, latency_ms,
                   excerpt, error, succeeded
            from r
          )
          update webhook_messages m
          set attempts = m.attempts + 1,
              last_attempt_at = greatest(m.last_attempt_at, r.attempted_at)
          from r
          where m.id = r.id
          returning m.id, m.attempts,
                    m.status = 'delivering'
                      and m.lease_until = ${leaseUntil.toISOString()}::timestamptz as held`,
    );
    const byId = new Map(recorded.map((row) => [row.id, row]));
    const moves = counted
      .filter((row) => row.held)
      .map((row) => {
        const attempt = byId.get(row.id)!;
        const next = nextState(row.attempts, {
          statusCode: attempt.status_code,
          latencyMs: attempt.latency_ms,
          responseExcerpt: attempt.excerpt,
          error: attempt.error,
          succeeded: attempt.succeeded,
        });
        return {
          id: row.id,
          attempted_at: attempt.attempted_at,
          succeeded: attempt.succeeded,
          next_status: next.status,
          delay: next.delay,
        };
      });
    if (moves.length === 0) return [];
    // The schedule counts from the attempt: its next one is `delay` after this one started.
    return queryRows<{ id: string; next_status: string; delay: number }>(
      tx as unknown as Database,
      sql`update webhook_messages m
          set status = r.next_status, lease_until = null, enqueued_at = null,
              next_attempt_at = r.attempted_at + r.delay * interval '1 second',
              delivered_at = case when r.succeeded then r.attempted_at else m.delivered_at end
          from json_to_recordset(${jsonParam(moves)}::json) as r(
            id text, attempted_at timestamptz, succeeded boolean, next_status text, delay int)
          where m.id = r.id and m.status = 'delivering'
            and m.lease_until = ${leaseUntil.toISOString()}::timestamptz
          returning m.id, r.next_status, r.delay`,
    );
  });
  return { rows, moved };
}

/**
 * Updates endpoints after a batch: a success ends an endpoint's failing streak, a failure
 * starts one (or continues it); then endpoints that answered 410 Gone, or whose streak is older
 * than the limit, are disabled and a `webhook.endpoint_disabled` event is appended to the log in
 * the same statement.
 */
async function updateEndpoints(
  deps: WebhookDeliveryDeps,
  rows: Awaited<ReturnType<typeof record>>['rows'],
  now: Date,
) {
  const byEndpoint = new Map<string, { succeeded: boolean; gone: boolean }>();
  for (const row of rows) {
    const entry = byEndpoint.get(row.endpoint_id) ?? { succeeded: false, gone: false };
    entry.succeeded ||= row.succeeded;
    entry.gone ||= row.status_code === 410;
    byEndpoint.set(row.endpoint_id, entry);
  }
  const outcomes = [...byEndpoint].map(([endpoint_id, entry]) => ({ endpoint_id, ...entry }));
  const at = now.toISOString();
  // Only rows whose streak starts or ends are written: a healthy endpoint costs no write.
  await deps.db.execute(
    sql`update webhook_endpoints ep
        set failing_since = case when o.succeeded then null else ${at}::timestamptz end
        from json_to_recordset(${jsonParam(outcomes)}::json)
          as o(endpoint_id uuid, succeeded boolean, gone boolean)
        where ep.id = o.endpoint_id
          and (ep.failing_since is null) = (not o.succeeded)`,
  );
  if (outcomes.every((outcome) => outcome.succeeded && !outcome.gone)) return;
  const disableAfterHours = deps.disableAfterHours ?? DEFAULT_DISABLE_AFTER_HOURS;
  const appended = await queryRows<{ event: EventRow }>(
    deps.db,
    sql`with o as (
          select * from json_to_recordset(${jsonParam(outcomes)}::json)
            as o(endpoint_id uuid, succeeded boolean, gone boolean)
        ),
        disabled as (
          update webhook_endpoints ep
          set enabled = false, disabled_at = ${at}::timestamptz, updated_at = ${at}::timestamptz,
              disabled_reason = case when o.gone then 'gone' else 'failing' end
          from o
          where ep.id = o.endpoint_id and ep.enabled
            and (o.gone or ep.failing_since
                 <= ${at}::timestamptz - ${disableAfterHours} * interval '1 hour')
          returning ep.id, ep.workspace_id, ep.url, ep.disabled_reason, ep.disabled_at
        ),
        source as (
          select d.workspace_id, row_number() over (order by d.id) as seq,
                 'webhook.endpoint_disabled' as type,
                 jsonb_build_object('endpoint', jsonb_build_object(
                   'id', d.id, 'url', d.url, 'reason', d.disabled_reason,
                   'disabledAt', to_char(d.disabled_at at time zone 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) as data,
                 null::uuid as workflow_id, null::uuid as run_id, null::uuid as contact_id,
                 null::uuid as channel_id, null::uuid as delivery_id
          from disabled d
        ),
        ${appendEventsCte('source', 'appended')}
        select to_jsonb(e) as event from appended e`,
  );
  if (appended.length > 0) {
    log('warn', 'webhooks: endpoints disabled', {
      endpoints: appended.map((row) => (row.event.data as { endpoint: unknown }).endpoint),
    });
    await publishQuietly(
      deps.events,
      appended.map((row) => loggedEventFromRow(row.event)),
    );
  }
}

/** POSTs claimed messages, records their attempts, reschedules them, updates endpoints. */
async function deliverClaimed(
  deps: WebhookDeliveryDeps,
  claimed: readonly ClaimedMessage[],
  now: Date,
  leaseUntil: Date,
): Promise<{ attempted: number; succeeded: number }> {
  if (claimed.length === 0) return { attempted: 0, succeeded: 0 };
  const cache: SecretsCache = new Map();
  const results = await inPool(claimed, WEBHOOK_CONCURRENCY, (message) =>
    attempt(deps, cache, message, now),
  );
  const { rows, moved } = await record(deps.db, claimed, results, leaseUntil);
  await updateEndpoints(deps, rows, now);
  const retries = moved
    .filter((row) => row.next_status === 'pending')
    .map((row) => ({ id: row.id, delaySeconds: row.delay }));
  const enqueued = await enqueueWebhookMessages(deps.db, deps.queue, retries, now);
  if (enqueued.error) {
    log('warn', 'webhooks: enqueueing retries failed; the sweep will', { error: enqueued.error });
  }
  return { attempted: claimed.length, succeeded: results.filter((r) => r.succeeded).length };
}

/**
 * Delivers one batch of queued messages (the webhook queue's consumer): claim, POST each
 * signed message (WEBHOOK_CONCURRENCY at a time), record every attempt, reschedule failures on
 * RETRY_SCHEDULE_SECONDS (queue messages with that delay; the rows' `next_attempt_at` is what
 * counts, so the sweep restores a lost one), and disable endpoints that are gone or failing.
 *
 * Messages whose attempt has already lost a claim (their consumer stopped, maybe because of
 * one of them) come last, one at a time, each claimed, POSTed and recorded alone after the rest
 * of the batch is recorded: if one of them stops this consumer too, only its own claim is
 * lost, and it alone reaches MAX_LOST_CLAIMS and is given up.
 */
export async function deliverWebhookMessages(
  ids: readonly string[],
  deps: WebhookDeliveryDeps,
): Promise<{ attempted: number; succeeded: number }> {
  if (ids.length === 0) return { attempted: 0, succeeded: 0 };
  const clock = () => deps.now?.() ?? new Date();
  const leaseFrom = (at: Date) => new Date(at.getTime() + WEBHOOK_LEASE_SECONDS * 1000);
  const now = clock();
  const leaseUntil = leaseFrom(now);
  const claimed = await claim(deps.db, ids, now, leaseUntil, true);
  const total = await deliverClaimed(deps, claimed, now, leaseUntil);
  if (claimed.length === ids.length) return total;
  const taken = new Set(claimed.map((message) => message.id));
  const rest = await suspects(
    deps.db,
    ids.filter((id) => !taken.has(id)),
    now,
  );
  const until = Date.now() + (deps.lostClaimRetryMs ?? LOST_CLAIM_RETRY_SECONDS * 1000);
  for (const id of rest) {
    if (Date.now() >= until) break;
    const at = clock();
    const lease = leaseFrom(at);
    const one = await deliverClaimed(deps, await claim(deps.db, [id], at, lease, false), at, lease);
    total.attempted += one.attempted;
    total.succeeded += one.succeeded;
  }
  return total;
}
