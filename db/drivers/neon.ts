import { neonConfig, Pool } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import type { Database } from '../client';
import { relations } from '../relations';
import { logIdleConnectionErrors } from './idle-errors';

export interface NeonOptions {
  /** Postgres URL (Neon in production). */
  url: string;
  /**
   * `host:port` of a WebSocket-to-TCP proxy (db/ws-proxy.ts) for a Postgres that does not
   * speak WebSocket itself (a local or embedded Postgres). Unset for Neon.
   */
  wsProxy?: string | undefined;
  /** Needed in Node only; workerd has a global WebSocket. */
  webSocketConstructor?: unknown;
  max?: number;
}

export interface NeonDatabase {
  db: Database;
  pool: Pool;
  close(): Promise<void>;
}

/**
 * A Drizzle database over the Neon serverless driver (a pg-compatible Pool over WebSocket): the
 * driver the Worker uses. With `wsProxy` it reaches a plain Postgres through our local proxy.
 */
export function createNeonDatabase(options: NeonOptions): NeonDatabase {
  const { url, wsProxy, webSocketConstructor, max = 5 } = options;
  if (webSocketConstructor) {
    neonConfig.webSocketConstructor = webSocketConstructor as typeof WebSocket;
  }
  if (wsProxy) {
    // The local proxy speaks plain ws and plain Postgres: no TLS, and no pipelining tricks that
    // assume Neon's own proxy (docs/architecture.md, "Local database").
    neonConfig.wsProxy = (host, port) => `${wsProxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
    neonConfig.coalesceWrites = false;
  }
  const pool = new Pool({ connectionString: url, max });
  logIdleConnectionErrors(pool);
  const db = drizzle({ client: pool, relations }) as unknown as Database;
  return {
    db,
    pool,
    async close() {
      await pool.end();
    },
  };
}
