/**
 * An idle pooled connection the server ended (a restart, `pg_terminate_backend`, a database
 * dropped `with (force)`) makes the pool emit `error`, and an EventEmitter's `error` with no
 * listener throws: it would end the whole process (`npm start`'s server with it). The pool has
 * already discarded that connection and opens another when asked, so the error is only logged,
 * as one JSON line like edge/log.ts writes (db/ does not import edge/).
 */
export function logIdleConnectionErrors(pool: {
  on(event: 'error', listener: (error: Error) => void): unknown;
}): void {
  pool.on('error', (error) => {
    console.warn(
      JSON.stringify({
        time: new Date().toISOString(),
        level: 'warn',
        msg: 'postgres: an idle pooled connection ended; the pool opens another',
        error: { name: error.name, message: error.message },
      }),
    );
  });
}
