/**
 * The numbers the dispatch pipeline is built around, in one place. Each one cites the limit it
 * comes from or the trade-off it makes.
 */

/**
 * Longest delay one queue message may carry (Cloudflare Queues: `delaySeconds` up to 12 hours).
 * Longer waits are chained: the message comes back early, sees the run is not yet due, and is
 * sent again with the remaining delay.
 */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

/** Messages per `sendBatch` call (Cloudflare Queues: at most 100 messages per batch). */
export const ENQUEUE_CHUNK_SIZE = 100;

/** Provider calls in flight at once per invocation (Workers: 6 simultaneous outgoing connections). */
export const SEND_CONCURRENCY = 6;

/** How long one provider call may take before it counts as a (transient) network failure. */
export const SEND_TIMEOUT_MS = 15_000;

/**
 * Attempts at one delivery before a transient failure (timeout, 5xx, 429) becomes final and the
 * run is routed as failed. Each attempt but the last is one queue retry of the same message, so
 * the consumer's `max_retries` in wrangler.toml must allow at least this many minus one (a test
 * checks it); otherwise the queue dead-letters a message that still has attempts left.
 */
export const MAX_SEND_ATTEMPTS = 5;

/** First retry delay; each further attempt doubles it (exponential backoff). */
export const RETRY_BASE_SECONDS = 10;

/** Longest backoff between two attempts, whatever the attempt count. */
export const RETRY_MAX_SECONDS = 15 * 60;

/**
 * How long a claimed delivery belongs to the consumer that claimed it without renewal. A live
 * consumer renews the leases of its batch every LEASE_RENEW_SECONDS while its sends run
 * (edge/dispatch/lease.ts), so a slow batch (up to 100 sends, 6 at a time, each up to
 * SEND_TIMEOUT_MS) is never overtaken; a consumer that died (a crash, a restart) stops renewing,
 * and its deliveries are sent again with the same idempotency key about a minute later.
 */
export const CLAIM_LEASE_SECONDS = 60;

/** How often a consumer renews its leases: three renewals fit in one lease. */
export const LEASE_RENEW_SECONDS = 20;

/**
 * A run whose message should have been consumed this long ago and that made no progress is
 * re-enqueued by the sweep (the message was lost, or the Worker died before acking it).
 */
export const STALE_ENQUEUE_SECONDS = 10 * 60;

/**
 * A run committed but never enqueued is picked up by the sweep only after this grace period, so
 * the sweep does not race the request that is about to enqueue it.
 */
export const UNENQUEUED_GRACE_SECONDS = 60;

/** Most runs (and most expired leases) one sweep re-enqueues; the next sweep takes the rest. */
export const SWEEP_LIMIT = 1000;

/** Longest `contentSummary` stored on a delivery. */
export const CONTENT_SUMMARY_LENGTH = 160;

/** Delay before attempt `attempts + 1`, after `attempts` failed ones (10 s, 20 s, 40 s …). */
export function backoffSeconds(attempts: number, baseSeconds = RETRY_BASE_SECONDS): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.min(RETRY_MAX_SECONDS, baseSeconds * 2 ** exponent);
}

/**
 * A step due within this many seconds counts as due: queue delays are whole seconds, and a
 * message may arrive a moment before its run's `due_at`.
 */
export const DUE_TOLERANCE_SECONDS = 1;
