/**
 * Row ids are UUIDs. An id that is not one cannot name a row, and passing it to Postgres would
 * fail with a cast error (a 500), so resolvers treat it as "not found" up front.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a syntactically valid UUID. */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID_PATTERN.test(id);
}
