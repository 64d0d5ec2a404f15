import { decodeBase64 } from '@pothos/core';
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { GraphQLError } from 'graphql';
import type { Database } from '../../db/client';
import { queryRows } from '../../db/rows';

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

/** The exact UTC microsecond text of `createdAt` that `creationOrder()` orders by. */
function createdAtText(createdAt: AnyPgColumn): SQL {
  return sql`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
}

/** The chunks of a `creationOrder()` cursor: the UTC microsecond text, then the row's id. */
const CREATED_AT_CHUNK = /^S:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const UUID_CHUNK = /^S:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a connection's cursor holds, position by position, as plugin-drizzle writes it
 * (`DC:T:[chunk, …]`, each chunk tagged with its type): `CREATION_CURSOR` for connections in
 * `creationOrder()` (or newest first on the same keys) over a uuid id.
 */
export type CursorShape = readonly RegExp[];
export const CREATION_CURSOR: CursorShape = [CREATED_AT_CHUNK, UUID_CHUNK];
/** `creationOrder()` over a text id (webhook messages' `msg_…`). */
export const CREATION_TEXT_ID_CURSOR: CursorShape = [CREATED_AT_CHUNK, /^S:[\s\S]+$/];
/** A millisecond timestamp column (a JS Date: `D:` epoch milliseconds), then a uuid id. */
export const TIMESTAMP_UUID_CURSOR: CursorShape = [/^D:\d{1,15}$/, UUID_CHUNK];

interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function hasShape(cursor: string, shape: CursorShape): boolean {
  try {
    const decoded = decodeBase64(cursor);
    if (!decoded.startsWith('DC:T:')) return false;
    const chunks: unknown = JSON.parse(decoded.slice(5));
    return (
      Array.isArray(chunks) &&
      chunks.length === shape.length &&
      chunks.every((chunk, index) => typeof chunk === 'string' && shape[index]!.test(chunk))
    );
  } catch {
    return false;
  }
}

/**
 * Refuses, as BAD_USER_INPUT, connection arguments plugin-drizzle would refuse untyped (a
 * negative `first`/`last`, both at once) or would not refuse at all: a cursor this connection
 * cannot have written. plugin-drizzle reads any decodable cursor as a position, so an empty
 * `after` would silently give the first page, a tampered one an arbitrary page, and a value of
 * the wrong type for a timestamp column an internal error. Call it before `query()`.
 */
export function checkConnectionArgs(args: ConnectionArgs, shape: CursorShape): void {
  if (args.first != null && args.first < 0) throw badInput('"first" must not be negative');
  if (args.last != null && args.last < 0) throw badInput('"last" must not be negative');
  if (args.first != null && args.last != null) {
    throw badInput('Pass "first" or "last", not both');
  }
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor != null && !hasShape(cursor, shape)) {
      throw badInput(`"${name}" is not a cursor of this connection`);
    }
  }
}

/** The (createdAt text, id) a `CREATION_CURSOR` cursor holds; call after checkConnectionArgs. */
function creationCursorKey(cursor: string): { createdAt: string; id: string } {
  const chunks = JSON.parse(decodeBase64(cursor).slice(5)) as [string, string];
  return { createdAt: chunks[0].slice(2), id: chunks[1].slice(2) };
}

/**
 * Makes plugin-drizzle's `pageInfo` true to the rows that remain beyond a cursor. The plugin
 * answers `hasPreviousPage: true` whenever `after` is given and `hasNextPage: true` whenever
 * `before` is, as if the cursor's row (or rows past it) still existed: after that row was
 * deleted, a page at either end of the list said there was more when there was not, in both
 * directions (`first`/`after`, `last`/`before`, and the mixed `first`/`before`,
 * `last`/`after`). This checks, over the connection's own rows (`where`: its workspace and
 * filter), whether any row lies at or before `after` and at or after `before` in the list's
 * order (`direction` of `creationOrder()`'s keys), in one statement run beside the page's; a
 * cursor with no row beyond it is then dropped from `args`, which the plugin reads `pageInfo`
 * from once the resolver returns (its keyset was built from them already, when `query()` ran),
 * so that `pageInfo` follows the Relay spec's rules without it: `hasNextPage` from whether
 * `first` rows were left over, `hasPreviousPage` from whether `last` rows were.
 * For connections in `creationOrder()` (or newest first on the same keys) over `CREATION_CURSOR`.
 */
export async function settleCursorBounds(
  db: Database,
  args: ConnectionArgs,
  table: PgTable & { createdAt: AnyPgColumn; id: AnyPgColumn },
  where: SQL | undefined,
  direction: 'asc' | 'desc',
): Promise<void> {
  const checks: { name: 'after' | 'before'; condition: SQL }[] = [];
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor == null) continue;
    const { createdAt, id } = creationCursorKey(cursor);
    // Rows before `after` are those ordered before it: smaller keys when ascending.
    const atOrBelow = (name === 'after') === (direction === 'asc');
    const key = sql`(${createdAtText(table.createdAt)}, ${table.id})`;
    const bound = sql`(${createdAt}::text, ${id}::uuid)`;
    checks.push({ name, condition: atOrBelow ? sql`${key} <= ${bound}` : sql`${key} >= ${bound}` });
  }
  if (checks.length === 0) return;
  const [row] = await queryRows<Record<string, boolean>>(
    db,
    sql`select ${sql.join(
      checks.map(
        ({ name, condition }) =>
          sql`exists (select 1 from ${table} where ${where ?? sql`true`} and ${condition}) as ${sql.identifier(name)}`,
      ),
      sql`, `,
    )}`,
  );
  for (const { name } of checks) {
    if (!row?.[name]) args[name] = null;
  }
}

/**
 * A case-insensitive "contains" pattern for ILIKE, with `%`, `_` and `\` escaped so that a
 * search for `a_b` matches only `a_b` (backslash is Postgres's default LIKE escape).
 */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
