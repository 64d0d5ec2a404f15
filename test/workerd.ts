/**
 * The Worker test harness: run an entry (e.g. `edge/worker.ts`) in real workerd with the
 * production bundle settings, and expose the per-run test Postgres to it through the ws proxy.
 * It lives in scripts/local-worker.ts because `npm start` runs the Worker the same way.
 *
 *   const proxy = await startDbProxy(inject('databaseUrl'));
 *   const worker = await startWorker({
 *     entry: 'edge/worker.ts',
 *     bindings: { DATABASE_URL: inject('databaseUrl'), DB_WS_PROXY: proxy.wsProxy, … },
 *     queueProducers: { DISPATCH_QUEUE: 'sendflow-dispatch' },
 *     queueConsumers: { 'sendflow-dispatch': { maxBatchSize: 100, maxBatchTimeout: 1 } },
 *   });
 *   await fetch(`${worker.url}/health`);
 *   afterAll(async () => { await worker.dispose(); await proxy.close(); });
 */
export {
  type DbProxy,
  type RunningWorker,
  type StartWorkerOptions,
  startDbProxy,
  startWorker,
} from '../scripts/local-worker';

import { inject } from 'vitest';
import type { DbProxy } from '../scripts/local-worker';

/** The Worker bindings that reach the per-run test database through `proxy`. */
export function testDatabaseBindings(proxy: DbProxy): Record<string, string> {
  return { DATABASE_URL: inject('databaseUrl'), DB_WS_PROXY: proxy.wsProxy };
}
