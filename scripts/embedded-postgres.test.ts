import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

describe('embedded Postgres', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sendflow-embedded-'));
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
  }, 60_000);
  afterAll(async () => {
    await embedded?.stop();
    await rm(dataDir, {
      recursive: true,
      force: true,
      // Postgres' own processes may still be finishing their last writes after the group exits.
      maxRetries: 10,
      retryDelay: 200,
    });
  });

  it('applies the drizzle migrations and then serves a new connection', async () => {
    await migrateDatabase(embedded.url);
    const client = new pg.Client(embedded.url);
    await client.connect();
    const { rows } = await client.query<{ count: string }>('select count(*) from workspaces');
    await client.end();
    expect(rows).toEqual([{ count: '0' }]);
  });

  it('takes 2,000 concurrent inserts through a pool of 20 without an error', async () => {
    const pool = new pg.Pool({ connectionString: embedded.url, max: 20 });
    await pool.query('create table load_test (n int primary key)');
    const results = await Promise.allSettled(
      Array.from({ length: 2000 }, (_, n) => pool.query('insert into load_test values ($1)', [n])),
    );
    const { rows } = await pool.query<{ count: string }>('select count(*) from load_test');
    await pool.end();
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(rows).toEqual([{ count: '2000' }]);
  });

  it('refuses a connection with the wrong password', async () => {
    const url = new URL(embedded.url);
    url.password = 'wrong';
    const client = new pg.Client(url.toString());
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('keeps its password file private to its owner', async () => {
    const { mode } = await stat(join(dataDir, 'postgres.password'));
    expect(mode & 0o077).toBe(0);
  });

  it('keeps its data and password across restarts', async () => {
    const writer = new pg.Client(embedded.url);
    await writer.connect();
    await writer.query("create table kept (note text); insert into kept values ('still here')");
    await writer.end();
    await embedded.stop();

    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
    const reader = new pg.Client(embedded.url);
    await reader.connect();
    const { rows } = await reader.query('select note from kept');
    await reader.end();
    expect(rows).toEqual([{ note: 'still here' }]);
  }, 60_000);
});
