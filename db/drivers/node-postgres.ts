import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Database } from '../client';
import { relations } from '../relations';
import { logIdleConnectionErrors } from './idle-errors';

export interface NodePostgres {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** A Drizzle database over node-postgres: used by Node-side tools, tests and benchmarks. */
export function createNodePostgres(url: string, { max = 10 }: { max?: number } = {}): NodePostgres {
  const pool = new pg.Pool({ connectionString: url, max });
  logIdleConnectionErrors(pool);
  const db = drizzle({ client: pool, relations }) as unknown as Database;
  return {
    db,
    pool,
    async close() {
      await pool.end();
    },
  };
}
