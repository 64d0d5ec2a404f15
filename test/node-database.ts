import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import type { Database } from '../db/client';
import { relations } from '../db/relations';

/**
 * A node-postgres pool on this run's test database (global-setup.ts provides its URL) and a
 * Drizzle client over it, for tests that call the pipeline's database code in Node; the pool
 * connects on first use and ends after the file's tests.
 */
export function nodeDatabase(max = 4): { pool: pg.Pool; db: Database } {
  const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max });
  afterAll(() => pool.end());
  return { pool, db: drizzle({ client: pool, relations }) as unknown as Database };
}
