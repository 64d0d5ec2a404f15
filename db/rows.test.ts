import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from './client';
import { relations } from './relations';
import { jsonParam, queryPreparedRows, storableText } from './rows';

/** What a batch's JSON parameter carries to Postgres, whose jsonb refuses some strings. */

describe('jsonParam', () => {
  it('is JSON.stringify when nothing needs mending', () => {
    const rows = [{ a: 'plain', b: 'emoji 😀', c: null, d: 1.5, e: ['x', { f: 'é' }] }];
    expect(jsonParam(rows)).toBe(JSON.stringify(rows));
  });

  it('drops NUL characters and replaces lone surrogates, wherever they are', () => {
    const rows = [
      { detail: 'bad\u0000request', nested: { list: ['cut \uD83D', '\uDE00 tail'] } },
      { summary: 'ok 😀 \u0000\u0000end' },
    ];
    expect(JSON.parse(jsonParam(rows))).toEqual([
      { detail: 'badrequest', nested: { list: ['cut \uFFFD', '\uFFFD tail'] } },
      { summary: 'ok 😀 end' },
    ]);
  });

  it('leaves text that only looks like those escapes as it was', () => {
    const rows = [{ text: 'a backslash then u0000: \\u0000, and \\ud83d, and \\\\\u0000' }];
    expect(JSON.parse(jsonParam(rows))).toEqual([
      { text: 'a backslash then u0000: \\u0000, and \\ud83d, and \\\\' },
    ]);
  });

  it('stores what storableText gives for the same string', () => {
    for (const text of ['x\u0000y', 'a\uD800b', '\uDFFFz', 'ok', '😀\uD83D']) {
      expect(JSON.parse(jsonParam([{ text }]))[0].text).toBe(storableText(text));
    }
  });
});

describe('queryPreparedRows', () => {
  let pool: pg.Pool;
  let db: Database;
  const table = `prepared_probe_${process.pid}_${Date.now()}`;

  beforeAll(async () => {
    // One connection, so that the statement prepared first is the one met again.
    pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
    db = drizzle({ client: pool, relations }) as unknown as Database;
    await pool.query(`create table ${table} (id int primary key, value int)`);
    await pool.query(`insert into ${table} values (1, 42)`);
  });

  afterAll(async () => {
    await pool?.query(`drop table if exists ${table}`);
    await pool?.end();
  });

  const read = () =>
    queryPreparedRows<{ value: unknown }>(
      db,
      sql`select value from ${sql.identifier(table)} where id = ${1}`,
    );

  it('prepares a statement once per connection, and still answers after a migration changed what it returns', async () => {
    expect(await read()).toEqual([{ value: 42 }]);
    expect(await read()).toEqual([{ value: 42 }]);
    const prepared = await pool.query(
      `select count(*)::int as count from pg_prepared_statements where statement like $1`,
      [`%from "${table}"%`],
    );
    expect(prepared.rows[0].count).toBe(1);

    // The column's type changes under the prepared statement: Postgres refuses it from now on.
    await pool.query(`alter table ${table} alter column value type text`);
    expect(await read()).toEqual([{ value: '42' }]);
    expect(await read()).toEqual([{ value: '42' }]);
  });
});
