/**
 * The numbers partner webhooks are built around, in one place.
 */

/**
 * Delay before each attempt of one message: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h and 10 h (the schedule partners are promised, about 28 hours). Standard Webhooks
 * ("Deliverability and reliability") only recommends an exponential backoff spanning days; its
 * example table starts the same way and goes on with 14 h, 20 h and 24 h.
 * After the last one fails the message is `failed` until a replay.
 */
export const RETRY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** Attempts in one schedule. */
export const MAX_WEBHOOK_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length;

/**
 * How long one POST may take before it counts as a failure (no answer). Standard Webhooks,
 * "Request timeouts": "A recommended request timeout value for webhooks is somewhere between 15
 * and 30s", so that consumers have time to process and acknowledge.
 */
export const WEBHOOK_TIMEOUT_MS = 15_000;

/** How much of an answer's body an attempt keeps (and reads: the rest is never downloaded). */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** POSTs in flight at once per invocation (Workers: 6 simultaneous outgoing connections). */
export const WEBHOOK_CONCURRENCY = 6;

/**
 * How long a claimed message belongs to its consumer. A batch holds at most 100 messages, 6 at
 * a time, each bounded by WEBHOOK_TIMEOUT_MS: 17 rounds of 15 s (255 s) stay under it, so a live
 * consumer is never overtaken and no renewal is needed; a crashed one's claims come back to
 * the sweep after it.
 */
export const WEBHOOK_LEASE_SECONDS = 300;

/**
 * Claims of one attempt that may be lost (their consumer stopped before recording: evicted,
 * out of memory or CPU) before the message is given up and `failed`. Lost claims spend none of
 * the message's MAX_WEBHOOK_ATTEMPTS (the attempt's outcome is unknown), so without this cap a
 * message that crashes every consumer that takes it would be claimed again every lease, and
 * possibly POSTed again each time, forever. A message whose claim was lost once more is retried
 * alone (see `deliverWebhookMessages`), so a message only batched with one that crashes loses at
 * most the two claims of the batches they shared, and stays under the cap.
 */
export const MAX_LOST_CLAIMS = 3;

/**
 * How long one batch goes on retrying, one at a time, messages that lost a claim before (each
 * up to WEBHOOK_TIMEOUT_MS): the rest wait, unclaimed (a wait costs no lost claim), for the
 * sweep's next queue message, so a batch of them never runs into the consumer's wall-time limit
 * (which would lose the claim in flight).
 */
export const LOST_CLAIM_RETRY_SECONDS = 120;

/** An endpoint whose every attempt failed for this long is disabled (WEBHOOK_DISABLE_AFTER_HOURS). */
export const DEFAULT_DISABLE_AFTER_HOURS = 5 * 24;

/** Events turned into messages per fan-out statement; a longer backlog takes several. */
export const FANOUT_EVENTS = 1000;

/**
 * Earlier secrets that may still sign beside the current one: each rotation keeps the secret
 * it replaces for its grace period, and rotating again within it keeps the earlier ones too, up
 * to this many (every message then carries up to 5 signatures). A rotation that would keep more
 * is refused; `graceHours: 0` ends every grace period at once and is always accepted.
 */
export const MAX_PREVIOUS_SECRETS = 4;

/** Messages one `replayWebhookEndpoint` call re-enqueues; the answer says where to go on. */
export const REPLAY_LIMIT = 10_000;

/**
 * A due message whose queue message should have come this long ago is re-enqueued by the
 * sweep (the queue lost it, or the Worker restarted with an in-memory queue).
 */
export const STALE_WEBHOOK_ENQUEUE_SECONDS = 120;

/** Rows the sweep handles per run (it runs every minute). */
export const WEBHOOK_SWEEP_LIMIT = 1000;
