/**
 * Row ids are UUIDs. An id that is not one cannot name a row, and passing it to Postgres would
 * fail with a cast error (a 500), so resolvers treat it as "not found" up front.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a syntactically valid UUID. */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID_PATTERN.test(id);
}

/**
 * An id as given by a client, in the form rows hold it: a UUID in lower case (UUIDs are
 * case-insensitive, RFC 9562 §4, and Postgres writes them lower-case), anything else as text,
 * for the checks that will report it unknown.
 */
export function idInput(id: string | number): string {
  const text = String(id);
  return isUuid(text) ? text.toLowerCase() : text;
}
