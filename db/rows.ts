import { type SQL, sql } from 'drizzle-orm';
import type { Database } from './client';

/**
 * Runs a raw statement and returns its rows. The batch statements of the pipeline (claim,
 * record, route, sweep) are raw SQL with CTEs; both drivers we use (node-postgres, Neon's
 * pg-compatible Pool) answer with a `{ rows }` result. Raw rows are not mapped by Drizzle, so
 * timestamps are selected as epoch milliseconds (see `epochMs`).
 */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

// A UTF-16 half without its partner (a text cut in the middle of an emoji).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A JSON parameter for `jsonb_to_recordset`: one parameter carries a whole batch of rows.
 * Postgres's jsonb refuses `\u0000` and lone surrogates, and one refused string would fail the
 * whole batch's statement (its sends then stay unrecorded and are sent again): text from
 * providers and cut summaries is made storable instead, as text columns would hold it.
 */
export function jsonParam(rows: readonly object[]): string {
  return JSON.stringify(rows, (_key, value: unknown) =>
    typeof value === 'string' ? storableText(value) : value,
  );
}

// A UTF-16 half, paired or not: what storableText may have to change besides `\u0000`. Most
// strings (ids, codes, plain text) have neither, and are returned as they are.
const SURROGATE = /[\uD800-\uDFFF]/;

/** A string as jsonParam stores it: without `\u0000`, a lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  if (!text.includes('\u0000') && !SURROGATE.test(text)) return text;
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A `uuid[]` parameter for `<primary key> = any(…)`: the batch statements name the rows they
 * touch by primary key, so Postgres reaches them through the key's index whatever its
 * statistics say (a join on a recordset alone let it hash every active run to find a batch's
 * hundred). One parameter, as an array literal, whatever the batch size. Next to it, a row's
 * status is tested as `(status = 'active') is true`, which no index can answer, so that the
 * planner does not also AND in a scan of `runs_active_idx` (every active run).
 */
export function uuidArrayParam(ids: Iterable<string>): SQL {
  const list = [...new Set(ids)];
  for (const id of list) if (!UUID.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id)}`);
  return sql`${`{${list.join(',')}}`}::uuid[]`;
}
