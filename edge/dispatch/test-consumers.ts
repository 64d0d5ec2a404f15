import { afterAll, beforeAll, inject } from 'vitest';
import type { Database } from '../../db/client';
import { createNodePostgres, type NodePostgres } from '../../db/drivers/node-postgres';

/** One of the "consumers" of twoConsumers: its database, once the file's tests have begun. */
export interface TestConsumer {
  readonly db: Database;
  /** Its pool, for a test that holds a transaction open by hand. */
  readonly pool: NodePostgres['pool'];
}

/**
 * Two "consumers" for tests of claims: each its own pool on the test database, so that two
 * statements really run at once (one waits on the other's row locks). Opened before the
 * file's other `beforeAll` hooks (call this at the top of the file) and closed after its tests.
 */
export function twoConsumers(): { one: TestConsumer; two: TestConsumer } {
  const pools: NodePostgres[] = [];
  beforeAll(() => {
    pools.push(
      createNodePostgres(inject('databaseUrl'), { max: 2 }),
      createNodePostgres(inject('databaseUrl'), { max: 2 }),
    );
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
  });
  const opened = (index: number): NodePostgres => {
    const pool = pools[index];
    if (!pool) throw new Error('twoConsumers: a consumer is used before the tests began');
    return pool;
  };
  const consumer = (index: number): TestConsumer => ({
    get db() {
      return opened(index).db;
    },
    get pool() {
      return opened(index).pool;
    },
  });
  return { one: consumer(0), two: consumer(1) };
}
