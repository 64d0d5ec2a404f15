import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../db/migrate';

/** The server tests use unless TEST_POSTGRES_URL names another (see README.md, "Test it"). */
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  /** True when this is the embedded fallback rather than the machine's server. */
  embedded: boolean;
  stop(): Promise<void>;
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 5432), hostname);
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A fresh database per run, so parallel runs on one machine never see each other's rows. */
export async function startTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_POSTGRES_URL ?? DEFAULT_SERVER_URL;
  if (!(await reachable(serverUrl))) {
    console.warn(`No Postgres at ${new URL(serverUrl).host}: testing against embedded Postgres`);
    const { startEmbeddedPostgres } = await import('../scripts/embedded-postgres');
    const dataDir = await mkdtemp(join(tmpdir(), 'sendflow-test-pg-'));
    const embedded = await startEmbeddedPostgres({
      dataDir: join(dataDir, 'pg'),
      persistent: false,
    });
    await migrateDatabase(embedded.url);
    return {
      url: embedded.url,
      embedded: true,
      async stop() {
        await embedded.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `sendflow_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    embedded: false,
    async stop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
