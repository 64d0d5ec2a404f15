import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../db/migrate';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

describe('embedded Postgres (PGlite over the wire protocol)', () => {
  let embedded: EmbeddedPostgres;
  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({ dataDir: 'memory://' });
  });
  afterAll(() => embedded?.stop());

  it('applies the drizzle migrations and then serves a new connection', async () => {
    await migrateDatabase(embedded.url);
    const client = new pg.Client(embedded.url);
    await client.connect();
    const { rows } = await client.query<{ count: string }>('select count(*) from workspaces');
    await client.end();
    expect(rows).toEqual([{ count: '0' }]);
  });

  it('keeps concurrent parameterised queries from several connections apart', async () => {
    const pool = new pg.Pool({ connectionString: embedded.url, max: 5 });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        pool.query<{ n: number; label: string }>('select $1::int as n, $2::text as label', [
          i,
          `q${i}`,
        ]),
      ),
    );
    await pool.end();
    expect(answers.map((answer) => answer.rows[0])).toEqual(
      Array.from({ length: 40 }, (_, i) => ({ n: i, label: `q${i}` })),
    );
  });

  it('lets other connections wait while one has a transaction open, then see its commit', async () => {
    const writer = new pg.Client(embedded.url);
    const reader = new pg.Client(embedded.url);
    await Promise.all([writer.connect(), reader.connect()]);
    await writer.query('create table if not exists turn_test (id int)');
    await writer.query('begin');
    await writer.query('insert into turn_test values (1)');
    const read = reader.query<{ count: string }>('select count(*) from turn_test');
    await writer.query('commit');
    expect((await read).rows).toEqual([{ count: '1' }]);
    await Promise.all([writer.end(), reader.end()]);
  });

  it('closes a connection when its client sends Terminate, as Postgres does', async () => {
    // The Neon driver waits for the server to close after Terminate; pg closes by itself, so
    // speak the protocol directly: StartupMessage, wait for ReadyForQuery, then Terminate.
    const [host, port] = embedded.address.split(':');
    const socket = connect(Number(port), host);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196_608, 4);
    socket.write(Buffer.concat([startup, params]));
    await new Promise<void>((resolve) => {
      let received = Buffer.alloc(0);
      socket.on('data', function untilReady(chunk: Buffer) {
        received = Buffer.concat([received, chunk]);
        // ReadyForQuery: 'Z', length 5, status byte.
        if (received.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
          socket.off('data', untilReady);
          resolve();
        }
      });
    });
    socket.write(Buffer.from([0x58, 0, 0, 0, 4]));
    await closed;
  });

  it('refuses a connection to a database it does not hold, as Postgres does', async () => {
    const url = new URL(embedded.url);
    url.pathname = '/no_such_database';
    const client = new pg.Client(url.toString());
    await expect(client.connect()).rejects.toMatchObject({
      code: '3D000',
      message: 'database "no_such_database" does not exist',
    });
  });

  it('rolls back the transaction of a connection that goes away in the middle of it', async () => {
    const quitter = new pg.Client(embedded.url);
    await quitter.connect();
    await quitter.query('create table if not exists quit_test (id int)');
    await quitter.query('begin');
    await quitter.query('insert into quit_test values (1)');
    await quitter.end();
    const other = new pg.Client(embedded.url);
    await other.connect();
    const { rows } = await other.query<{ count: string }>('select count(*) from quit_test');
    await other.end();
    expect(rows).toEqual([{ count: '0' }]);
  });
});

describe('embedded Postgres in a data folder', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sendflow-pglite-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps its data across restarts', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    const writer = new pg.Client(first.url);
    await writer.connect();
    await writer.query("create table kept (note text); insert into kept values ('still here')");
    await writer.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir });
    const reader = new pg.Client(second.url);
    await reader.connect();
    const { rows } = await reader.query('select note from kept');
    await reader.end();
    await second.stop();
    expect(rows).toEqual([{ note: 'still here' }]);
  });
});
