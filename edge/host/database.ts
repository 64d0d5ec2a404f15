import type { Database } from '../../db/client';
import { createNeonDatabase } from '../../db/drivers/neon';
import type { Config } from './env';

export interface InvocationDatabase {
  db: Database;
  /** Ends the pool; pass to `ctx.waitUntil` so that closing does not delay the response. */
  close(): Promise<void>;
}

/**
 * The Drizzle database for one Worker invocation (a request, a queue batch, a cron tick).
 * Neon's guidance for Workers: a Pool must be created, used and ended within one handler
 * invocation, because workerd does not let I/O objects outlive the request that made them; end
 * it with `ctx.waitUntil(close())`. The pool opens no connection until the first query.
 */
export function openDatabase(config: Config): InvocationDatabase {
  const { db, close } = createNeonDatabase({
    url: config.databaseUrl,
    wsProxy: config.dbWsProxy,
    max: config.dbPoolMax,
  });
  return { db, close };
}
