import { type SQL, sql } from 'drizzle-orm';
import type { PgDialect } from 'drizzle-orm/pg-core';
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

/**
 * `queryRows` for a statement that runs over and over with the same text (a dispatch batch's
 * load, claim, library and record): sent as a named, protocol-level prepared statement, named
 * by its text (statementName). A connection that has run it before skips parsing and
 * analysing it, and after five runs Postgres uses a generic plan, with no planning, whenever
 * that plan's estimated cost is no higher than the custom plans' average. On a pooled
 * connection (Neon's PgBouncer keeps protocol-level prepared statements per server connection,
 * reusing one another client prepared with the same text:
 * neon.com/docs/connect/connection-pooling) the saving holds across Worker invocations; the
 * local WebSocket proxy discards a session's statements between clients (db/ws-proxy.ts).
 * Only for statements whose text does not grow with the batch (arrays go in as one parameter,
 * uuidArrayParam), or each batch would prepare a statement of its own.
 *
 * A migration that changes the type of a column such a statement returns makes Postgres refuse
 * the prepared statement for good on every connection that holds it ("cached plan must not
 * change result type"), and a pooler hands the same one to whoever sends the same text: the
 * statement is then run again with its text marked (a comment naming the replan), which makes
 * it a new statement, and this isolate keeps marking it.
 */
export async function queryPreparedRows<T>(db: Database, query: SQL): Promise<T[]> {
  const { session } = db._;
  // The session's dialect is protected in Drizzle's types; it is the one `db.execute` uses.
  const built = (session as unknown as { dialect: PgDialect }).dialect.sqlToQuery(query);
  const run = async (text: string) => {
    const prepared = session.prepareQuery({ ...built, sql: text }, 'raw', statementName(text));
    return ((await prepared.execute()) as { rows: T[] }).rows;
  };
  const marked = () =>
    replans === 0 ? built.sql : `${built.sql}\n-- replanned after a migration (${replans})`;
  const tried = marked();
  try {
    return await run(tried);
  } catch (error) {
    if (!isStalePlan(error)) throw error;
    // Another call may have marked the text already; otherwise mark it anew.
    if (marked() === tried) replans++;
    return run(marked());
  }
}

/** How many times this isolate met a prepared statement that a migration made stale. */
let replans = 0;

/** Postgres's refusal of a prepared statement whose result columns a migration changed. */
function isStalePlan(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { code, message } = cause as Error & { code?: string };
    if (code === '0A000' && /cached plan must not change result type/.test(message)) return true;
  }
  return false;
}

/**
 * A prepared statement's name, from its text alone. Drizzle's own (`prepareQuery(…, true)`)
 * also hashes the parameters' JavaScript types, element by element for an array, so an array
 * parameter whose nulls fall differently would prepare another statement each batch; here the
 * text's casts fix every parameter's type. A 53-bit hash (cyrb53): a handful of statements
 * per connection never meet a collision.
 */
function statementName(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `sendflow_${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

// A UTF-16 half without its partner (a text cut in the middle of an emoji).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A JSON parameter for `json_to_recordset`: one parameter carries a whole batch of rows.
 * `json`, not `jsonb`: the server reads a recordset of 100 rows from `json` for less than half
 * the CPU (the dispatch record's outcomes and moves: 1.5 ms from `json`, 3.3 ms from `jsonb`,
 * which builds the binary form first and then looks every column up in it). Postgres refuses
 * `\u0000` and lone surrogates in text, and one refused string would fail the whole batch's
 * statement (its sends then stay unrecorded and are sent again): text from providers and cut
 * summaries is made storable instead, as text columns would hold it.
 *
 * Serialised without a replacer, then mended: `JSON.stringify` writes both as escapes (`\u0000`;
 * a lone surrogate as `\udXXX`, a paired one as itself), so they are found in its output, and
 * mostly they are not there at all. A replacer function, called for every key and value, made
 * this a few percent of a dispatch Worker's CPU (its 300 events and 100 outcomes a batch).
 */
export function jsonParam(rows: readonly object[]): string {
  const json = JSON.stringify(rows);
  if (!json.includes('\\u0000') && !json.includes('\\ud')) return json;
  // An escape is a backslash preceded by an even number of backslashes (`\\u0000` in the
  // output is an escaped backslash followed by the text "u0000", and stays).
  return json.replace(UNSTORABLE_ESCAPE, (match, backslashes: string, code: string) => {
    if (backslashes.length % 2 === 0) return match;
    const kept = backslashes.slice(1);
    return code === '0000' ? kept : `${kept}\\ufffd`;
  });
}

// A run of backslashes, then `u0000` or a surrogate's code (D800–DFFF, as JSON.stringify
// writes it: lower case).
const UNSTORABLE_ESCAPE = /(\\+)u(0000|d[89a-f][0-9a-f]{2})/g;

// A UTF-16 half, paired or not: what storableText may have to change besides `\u0000`. Most
// strings (ids, codes, plain text) have neither, and are returned as they are.
const SURROGATE = /[\uD800-\uDFFF]/;

/** A string as jsonParam stores it: without `\u0000`, a lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  if (!text.includes('\u0000') && !SURROGATE.test(text)) return text;
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

/** The Postgres types a column of unnestRows may have. */
export type BatchColumnType = 'uuid' | 'int' | 'float8' | 'text' | 'boolean';

/** A batch's columns: every key of its rows and its column's type, in the FROM item's order. */
export type BatchColumns<Row> = { readonly [K in keyof Row]: BatchColumnType };

/**
 * A batch of rows as a FROM item with one typed array parameter per column, unnested side by
 * side: `unnest($1::uuid[], $2::int[], …) as <alias>(<column>, …)`. The server reads a dispatch
 * record's 100 outcomes so for about half what `json_to_recordset` costs (0.27–0.35 ms against
 * 0.48–0.68 ms, measured in one session: JSON parses every object and hashes its keys), and
 * the statement's text stays the same whatever the batch's size. Text is made storable as
 * jsonParam makes it (the driver writes the array literal, quoting every element).
 *
 * A generic plan estimates such an unnest at 10 rows, whatever the batch: a statement must reach
 * a table's rows by key from the batch (a nested loop from it), never let the estimate choose
 * between scanning and probing.
 */
export function unnestRows<Row extends object>(
  rows: readonly Row[],
  columns: BatchColumns<Row>,
  alias: string,
): SQL {
  const names = Object.keys(columns) as (keyof Row & string)[];
  const arrays = names.map((name) => {
    const type = columns[name];
    const values = rows.map((row) => {
      const value = row[name] as unknown;
      if (value === null || value === undefined) return null;
      return type === 'text' ? storableText(String(value)) : value;
    });
    return sql`${sql.param(values)}::${sql.raw(type)}[]`;
  });
  return sql`unnest(${sql.join(arrays, sql`, `)}) as ${sql.raw(alias)}(${sql.raw(names.join(', '))})`;
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
