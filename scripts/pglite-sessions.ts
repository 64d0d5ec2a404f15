import type { PGlite } from '@electric-sql/pglite';

/** How long a connection may wait for the database before it is dropped (a stuck transaction). */
const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
/** The protocol version field of a StartupMessage, which has no type byte (protocol 3.0). */
const STARTUP_PROTOCOL_VERSION = 196_608;
/** Message types after which a client waits for ReadyForQuery: Query, Sync. */
const UNIT_ENDS = new Set(['Q'.charCodeAt(0), 'S'.charCodeAt(0)]);
const TERMINATE = 'X'.charCodeAt(0);

function endsUnit(message: Uint8Array): boolean {
  if (message.length >= 8) {
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    if (view.getInt32(4) === STARTUP_PROTOCOL_VERSION) return true;
  }
  return UNIT_ENDS.has(message[0] ?? 0);
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
