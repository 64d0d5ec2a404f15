import type { PGlite } from '@electric-sql/pglite';

/** How long a connection may wait for the database before it is dropped (a stuck transaction). */
const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
/** The protocol version field of a StartupMessage, which has no type byte (protocol 3.0). */
const STARTUP_PROTOCOL_VERSION = 196_608;
/** Message types after which a client waits for ReadyForQuery: Query, Sync. */
const UNIT_ENDS = new Set(['Q'.charCodeAt(0), 'S'.charCodeAt(0)]);
const TERMINATE = 'X'.charCodeAt(0);

function isStartup(message: Uint8Array): boolean {
  if (message.length < 8) return false;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  return view.getInt32(4) === STARTUP_PROTOCOL_VERSION;
}

function endsUnit(message: Uint8Array): boolean {
  return isStartup(message) || UNIT_ENDS.has(message[0] ?? 0);
}

/** The database a StartupMessage asks for: its `database` parameter, else the user name. */
function requestedDatabase(startup: Uint8Array): string | undefined {
  const fields = new TextDecoder().decode(startup.subarray(8)).split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) params.set(fields[i] ?? '', fields[i + 1] ?? '');
  return params.get('database') || params.get('user');
}

/** A FATAL ErrorResponse message (severity, SQLSTATE, text), as a server sends before closing. */
function fatalError(code: string, text: string): Uint8Array {
  const body = new TextEncoder().encode(`SFATAL\0VFATAL\0C${code}\0M${text}\0\0`);
  const message = new Uint8Array(5 + body.length);
  message[0] = 'E'.charCodeAt(0);
  new DataView(message.buffer).setInt32(1, 4 + body.length);
  message.set(body, 5);
  return message;
}

interface Waiter {
  handlerId: number;
  grant(): void;
  fail(error: Error): void;
}

/**
 * Lets several connections share PGlite, which has exactly one Postgres session, by giving the
 * session to one connection at a time for a whole protocol unit: from its first message to the
 * Sync (or simple Query) that ends it, and for as long as it has a transaction open.
 *
 * pglite-socket's own server (0.2.17) refuses every connection beyond `maxConnections`
 * (default 1) with "Too many connections", which pg reports as "Connection terminated
 * unexpectedly": that was the migrator failure, as the next connection arrived before the
 * previous one was detached. Its queue also takes turns per message, not per unit, so when a
 * client's messages arrive in separate packets (the Neon driver through db/ws-proxy.ts sends
 * one WebSocket frame per message) another client's Parse could land between its Parse and Bind
 * on the shared unnamed statement.
 *
 * It also closes a connection on Terminate, as Postgres does; pglite-socket leaves the socket
 * open, so a Neon driver `pool.end()` never finished and a Worker invocation that ends its pool
 * in `waitUntil` never completed (Miniflare then held back the queue's next batch).
 *
 * A connection to any database but PGlite's own is refused, as Postgres refuses an unknown
 * database, rather than silently served from the one database there is.
 *
 * This object has the shape pglite-socket's PGLiteSocketHandler expects of its `queryQueue`.
 */
export class PGliteSessionQueue {
  #owner: number | null = null;
  #waiters: Waiter[] = [];

  constructor(
    private readonly db: PGlite,
    private readonly options: {
      /**
       * Closes a connection's socket. Called on Terminate: a Postgres server closes the
       * connection then, and clients such as the Neon driver wait for that close.
       */
      closeConnection(handlerId: number): void;
      /** The one database PGlite holds; connecting to another fails as on Postgres. */
      database: string;
      waitTimeoutMs?: number;
    },
  ) {}

  /** Runs one protocol message for a connection once the session is (or stays) its own. */
  async enqueue(
    handlerId: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    if (message[0] === TERMINATE) {
      // Not passed to PGlite: its one session outlives every connection.
      await this.clearTransactionIfNeeded(handlerId);
      this.options.closeConnection(handlerId);
      return 0;
    }
    if (isStartup(message)) {
      const database = requestedDatabase(message);
      if (database !== this.options.database) {
        // SQLSTATE 3D000 invalid_catalog_name, what Postgres answers for an unknown database.
        onData(fatalError('3D000', `database "${database}" does not exist`));
        this.options.closeConnection(handlerId);
        return 0;
      }
    }
    await this.#acquire(handlerId);
    let bytes = 0;
    await this.db.execProtocolRawStream(message, {
      onRawData(data) {
        bytes += data.length;
        onData(data);
      },
    });
    if (endsUnit(message) && !this.db.isInTransaction()) this.#release(handlerId);
    return bytes;
  }

  /** Drops a closed connection's waiting turn. */
  clearQueueForHandler(handlerId: number): void {
    const dropped = this.#waiters.filter((waiter) => waiter.handlerId === handlerId);
    this.#waiters = this.#waiters.filter((waiter) => waiter.handlerId !== handlerId);
    for (const waiter of dropped) waiter.fail(new Error('Connection closed'));
  }

  /** A connection that closes while holding the session gives it back, rolled back if needed. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.#owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.#release(handlerId);
  }

  /** Connections waiting for the session (for diagnostics). */
  getQueueLength(): number {
    return this.#waiters.length;
  }

  #acquire(handlerId: number): Promise<void> {
    const { waitTimeoutMs = DEFAULT_WAIT_TIMEOUT_MS } = this.options;
    if (this.#owner === null || this.#owner === handlerId) {
      this.#owner = handlerId;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== entry);
        reject(new Error(`Waited ${waitTimeoutMs} ms for the embedded database session`));
      }, waitTimeoutMs);
      const entry: Waiter = {
        handlerId,
        grant() {
          clearTimeout(timer);
          resolve();
        },
        fail(error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.push(entry);
    });
  }

  #release(handlerId: number): void {
    if (this.#owner !== handlerId) return;
    const next = this.#waiters.shift();
    this.#owner = next?.handlerId ?? null;
    next?.grant();
  }
}
