import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { queryRows } from '../rows';
import { createNodePostgres } from './node-postgres';

const postgres = createNodePostgres(inject('databaseUrl'), { max: 1 });
afterAll(() => postgres.close());

describe('a pooled connection the server ends while idle', () => {
  it('is logged and replaced, not thrown out of the process', async () => {
    const [before] = await queryRows<{ pid: number }>(
      postgres.db,
      sql`select pg_backend_pid() as pid`,
    );
    // The driver's own listener: without one, the pool's `error` would be thrown (and fail
    // this file as an uncaught exception).
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [before!.pid]);
    } finally {
      await admin.end();
    }
    const deadline = Date.now() + 5_000;
    while (warn.mock.calls.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const warned = warn.mock.calls.map(([line]) => {
      const { msg, error } = JSON.parse(String(line));
      return { msg, message: error.message };
    });
    warn.mockRestore();
    expect(warned).toEqual([
      {
        msg: 'postgres: an idle pooled connection ended; the pool opens another',
        message: 'terminating connection due to administrator command',
      },
    ]);
    const [after] = await queryRows<{ pid: number }>(
      postgres.db,
      sql`select pg_backend_pid() as pid`,
    );
    expect(after!.pid).not.toBe(before!.pid);
  });
});
