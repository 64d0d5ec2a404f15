import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A Postgres URL any client (pg, the Neon driver through db/ws-proxy) can use. */
  url: string;
  /** `host:port` of the socket server. */
  address: string;
  stop(): Promise<void>;
}

/**
 * PGlite (Postgres compiled to WASM, in this process) served over the Postgres wire protocol,
 * so the rest of the stack talks to it exactly as to a real server. It serves one session at a
 * time (see DESIGN.md): callers keep their pools small and never idle inside a transaction.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port = 0,
}: {
  /** A folder to persist to, or `memory://` for a throwaway database. */
  dataDir: string;
  port?: number;
}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
  await server.start();
  // The server does not expose its bound port directly; read it from the listening socket.
  const bound = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  const address = `127.0.0.1:${bound.port}`;
  return {
    url: `postgres://postgres@${address}/postgres`,
    address,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
