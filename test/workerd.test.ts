import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { type DbProxy, type RunningWorker, startDbProxy, startWorker } from './workerd';

let proxy: DbProxy;
let worker: RunningWorker;

beforeAll(async () => {
  const databaseUrl = inject('databaseUrl');
  proxy = await startDbProxy(databaseUrl);
  worker = await startWorker({
    entry: 'test/fixtures/neon-worker.ts',
    bindings: { DATABASE_URL: databaseUrl, DB_WS_PROXY: proxy.wsProxy },
  });
});

afterAll(async () => {
  await worker?.dispose();
  await proxy?.close();
});

test('a Worker in workerd reaches the test Postgres through the Neon driver and the ws proxy', async () => {
  const response = await fetch(`${worker.url}/?name=through-workerd`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ name: 'through-workerd' });
});
