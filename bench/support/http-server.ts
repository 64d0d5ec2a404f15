import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalServer {
  server: Server;
  /** e.g. `http://127.0.0.1:40123` (no trailing slash). */
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to a limit), then closes. */
  close(): Promise<void>;
}

/** Longest wait for in-flight requests when closing (a load run ends with many in flight). */
const DRAIN_LIMIT_MS = 30_000;
const DRAIN_POLL_MS = 20;

/** Serves `listener` on a free port of 127.0.0.1 (benchmarks never listen beyond loopback). */
export async function listenLocal(listener: RequestListener): Promise<LocalServer> {
  const server = createServer(listener);
  // The load generator keeps connections alive; the default 5 s would drop idle ones mid-run.
  server.keepAliveTimeout = 60_000;
  let inFlight = 0;
  server.on('request', (_request, response) => {
    inFlight++;
    response.once('close', () => inFlight--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // When load stops, requests are still running against the database: let them finish
      // before the caller ends the pool under them.
      const deadline = performance.now() + DRAIN_LIMIT_MS;
      while (inFlight > 0 && performance.now() < deadline) {
        server.closeIdleConnections();
        await sleep(DRAIN_POLL_MS);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
