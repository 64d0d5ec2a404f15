import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from './client';
import { relations } from './relations';
import { jsonParam, queryPreparedRows, queryRows, storableText, unnestRows } from './rows';

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

describe('unnestRows', () => {
  let pool: pg.Pool;
  let db: Database;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
    db = drizzle({ client: pool, relations }) as unknown as Database;
  });

  afterAll(async () => {
    await pool?.end();
  });

  interface Row {
    seq: number;
    id: string | null;
    note: string | null;
    at_ms: number | null;
    flag: boolean | null;
  }
  const columns = {
    seq: 'int',
    id: 'uuid',
    note: 'text',
    at_ms: 'float8',
    flag: 'boolean',
  } as const;

  const read = (rows: Row[]) =>
    queryPreparedRows<Row>(
      db,
      sql`select seq, id, note, at_ms, flag from ${unnestRows(rows, columns, 'r')} order by seq`,
    );

  it('reads back every row and column as given, whatever the text holds', async () => {
    const awkward = [
      'plain',
      '',
      'NULL',
      'a "quoted", {braced} text',
      'back\\slash \\" and \\\\',
      'line\nbreak\ttab',
      'emoji 😀 é',
      ' padded ',
    ];
    const rows: Row[] = awkward.map((note, seq) => ({
      seq,
      id: seq % 3 === 0 ? null : crypto.randomUUID(),
      note,
      at_ms: seq === 2 ? null : 1764730000000.5 + seq,
      flag: seq % 2 === 0,
    }));
    rows.push({ seq: rows.length, id: null, note: null, at_ms: null, flag: null });
    expect(await read(rows)).toEqual(rows);
  });

  it('stores NUL characters and lone surrogates as jsonParam does', async () => {
    const texts = ['x\u0000y', 'a\uD800b', '\uDFFFz', '😀\uD83D'];
    const rows: Row[] = texts.map((note, seq) => ({ seq, id: null, note, at_ms: 0, flag: true }));
    const stored = await read(rows);
    expect(stored.map((row) => row.note)).toEqual(texts.map(storableText));
  });

  it('keeps one statement text whatever the batch size, an empty batch included', async () => {
    const batch = (size: number): Row[] =>
      Array.from({ length: size }, (_, seq) => ({
        seq,
        id: null,
        note: 'n',
        at_ms: 1,
        flag: false,
      }));
    for (const size of [0, 1, 100]) expect(await read(batch(size))).toHaveLength(size);
    const prepared = await queryRows<{ count: number }>(
      db,
      sql`select count(*)::int as count from pg_prepared_statements where statement like '%unnest(%'`,
    );
    expect(prepared[0]?.count).toBe(1);
  });
});
