import type { SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';

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

/** A JSON parameter for `jsonb_to_recordset`: one parameter carries a whole batch of rows. */
export function jsonParam(rows: readonly object[]): string {
  return JSON.stringify(rows);
}
