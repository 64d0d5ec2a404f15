/**
 * Row ids are UUIDs. An id that is not one cannot name a row, and passing it to Postgres would
 * fail with a cast error (a 500), so resolvers treat it as "not found" up front.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Webhook message ids (Standard Webhooks' `webhook-id`) are `msg_` and the 32 hex digits of a
 * UUID (edge/webhooks/fanout.ts), so they are as case-insensitive as the UUID they came from.
 */
const WEBHOOK_MESSAGE_ID_PATTERN = /^msg_[0-9a-f]{32}$/i;

/** Whether `id` is a syntactically valid UUID. */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID_PATTERN.test(id);
}

/**
 * An id as given by a client, in the form rows hold it: a UUID (or webhook message id) in lower
 * case (UUIDs are case-insensitive, RFC 9562 §4, and Postgres writes them lower-case), anything
 * else as text, for the checks that will report it unknown. The API applies it to every `ID`
 * argument and input field (api/id-args.ts).
 */
export function idInput(id: string | number): string {
  const text = String(id);
  return isUuid(text) || WEBHOOK_MESSAGE_ID_PATTERN.test(text) ? text.toLowerCase() : text;
}

/** A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, version 7, variant 10. */
const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * The Unix milliseconds a UUID version 7 was made at; null for any other id. Delivery ids are
 * v7, made at a visit's first claim: LINE's retry key and the custom channel's payload time read
 * their first attempt from it.
 */
export function uuidV7Millis(id: string): number | null {
  const match = UUID_V7.exec(id);
  return match ? Number.parseInt(`${match[1]}${match[2]}`, 16) : null;
}
