import pg from 'pg';
import { migrateDatabase } from '../../db/migrate';

/** The server benchmarks create their database on, unless BENCH_POSTGRES_URL names another. */
export const DEFAULT_BENCH_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  /** URL of the fresh, migrated database. */
  url: string;
  /** Drops the database (forcing off any connection still open). */
  drop(): Promise<void>;
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Creates `sendflow_bench_<timestamp>` on the local Postgres and applies every migration, so a
 * benchmark never touches a database anyone else uses and starts from empty tables.
 */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? DEFAULT_BENCH_SERVER_URL;
  const name = `sendflow_bench_${Date.now()}_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
  try {
    await migrateDatabase(url.toString());
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: url.toString(), drop };
}

/** The part of a pg.Pool `waitForIdlePool` reads. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const IDLE_POLL_MS = 50;
const IDLE_CHECKS = 3;
const IDLE_LIMIT_MS = 30_000;

/**
 * Waits until no query is running or queued on `pool` (seen idle a few polls in a row). When
 * load stops, the server is still answering requests whose clients have hung up; ending the pool
 * under them would fail their queries and print errors that are not the code's fault.
 */
export async function waitForIdlePool(pool: PoolCounts): Promise<void> {
  const deadline = performance.now() + IDLE_LIMIT_MS;
  let idleChecks = 0;
  while (idleChecks < IDLE_CHECKS && performance.now() < deadline) {
    const idle = pool.waitingCount === 0 && pool.idleCount === pool.totalCount;
    idleChecks = idle ? idleChecks + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}

/** Runs `measure` on a fresh bench database, dropped afterwards whatever happens. */
export async function onBenchDatabase<T>(
  label: string,
  measure: (databaseUrl: string) => Promise<T>,
): Promise<T> {
  const database = await createBenchDatabase(label);
  try {
    return await measure(database.url);
  } finally {
    await database.drop();
  }
}
