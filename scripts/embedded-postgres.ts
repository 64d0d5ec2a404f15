import { type AddressInfo, createServer, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { PGliteSessionQueue } from './pglite-sessions';

/** PGlite holds exactly one database. */
const DATABASE = 'postgres';

export interface EmbeddedPostgres {
  /** A Postgres URL any client (pg, the Neon driver through db/ws-proxy) can use. */
  url: string;
  /** `host:port` of the socket server. */
  address: string;
  /** The PGlite instance itself, for in-process access. */
  db: PGlite;
  stop(): Promise<void>;
}

/**
 * PGlite (Postgres compiled to WASM, in this process) served over the Postgres wire protocol,
 * so the rest of the stack talks to it exactly as to a real server. Any number of connections
 * may be open; they take turns on PGlite's one session, a whole statement or transaction at a
 * time (scripts/pglite-sessions.ts). Callers keep pools small and never idle in a transaction,
 * which would make every other connection wait.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port = 0,
}: {
  /** A folder to persist to, or `memory://` for a throwaway database. */
  dataDir: string;
  port?: number;
}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(dataDir, { database: DATABASE });
  const sockets = new Map<number, Socket>();
  const queue = new PGliteSessionQueue(db, {
    closeConnection: (handlerId) => sockets.get(handlerId)?.end(),
    database: DATABASE,
  });
  const handlers = new Set<PGLiteSocketHandler>();
  const server = createServer(function serveConnection(socket: Socket) {
    const handler = new PGLiteSocketHandler({
      // pglite-socket types its queue as its own (unexported) class; ours has the same methods.
      queryQueue: queue as unknown as ConstructorParameters<
        typeof PGLiteSocketHandler
      >[0]['queryQueue'],
      closeOnDetach: true,
    });
    handlers.add(handler);
    sockets.set(handler.handlerId, socket);
    const forget = () => {
      handlers.delete(handler);
      sockets.delete(handler.handlerId);
    };
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `postgres://postgres@${address}/${DATABASE}`,
    address,
    db,
    async stop() {
      await Promise.all([...handlers].map((handler) => handler.detach(true)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
