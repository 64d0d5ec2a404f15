import { sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * Query options that order a connection by (createdAt, id), oldest first.
 *
 * Postgres keeps microseconds but a JS Date holds milliseconds, so a cursor built from the
 * `createdAt` column would skip rows created in the same millisecond (plugin-drizzle README,
 * "Cursor values and precision"). Ordering by a fixed-width UTC text of the exact value keeps
 * the cursor exact; `id` breaks ties between rows inserted in one transaction.
 */
export function creationOrder() {
  return {
    extras: {
      createdAtCursor: (table: { createdAt: AnyPgColumn }) =>
        sql<string>`to_char(${table.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
    },
    orderBy: { createdAtCursor: 'asc', id: 'asc' },
  } as const;
}

/**
 * A case-insensitive "contains" pattern for ILIKE, with `%`, `_` and `\` escaped so that a
 * search for `a_b` matches only `a_b` (backslash is Postgres's default LIKE escape).
 */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
