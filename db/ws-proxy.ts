import { type AddressInfo, connect } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface WsProxy {
  /** `host:port` to give the Neon driver as `wsProxy`. */
  address: string;
  /** Upstream connections open now, and WebSockets waiting for one. */
  stats(): { open: number; waiting: number };
  close(): Promise<void>;
}

export interface WsProxyOptions {
  port?: number;
  allowedTargets: string[];
  /**
   * Most upstream (TCP) connections open at once; further WebSockets wait for a free one, their
   * bytes held, so that a burst of requests queues here instead of meeting Postgres's
   * "too many clients". Default: no limit.
   */
  maxConnections?: number;
  /** How long a WebSocket may wait for a connection before it is closed (default 60 s). */
  maxWaitMs?: number;
}

/** WebSocket close code 1013, "Try Again Later" (RFC 6455 §7.4.2, IANA registry). */
const TRY_AGAIN_LATER = 1013;
const DEFAULT_MAX_WAIT_MS = 60_000;

/**
 * A WebSocket-to-TCP proxy so the Neon serverless driver (which speaks Postgres over WebSocket)
 * can reach a local Postgres. Development and tests only: Neon runs its own.
 * The driver asks for `/v1?address=host:port`; only `allowedTargets` may be reached.
 * With `maxConnections` it is also a connection limiter: a WebSocket beyond the limit waits
 * (first come, first served) and is closed with 1013 after `maxWaitMs`; the Worker answers that
 * with 503 and Retry-After (edge/host/availability.ts).
 */
export async function startWsProxy({
  port = 0,
  allowedTargets,
  maxConnections = Number.POSITIVE_INFINITY,
  maxWaitMs = DEFAULT_MAX_WAIT_MS,
}: WsProxyOptions): Promise<WsProxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  let open = 0;
  const waiting: Array<() => void> = [];

  function release(): void {
    open--;
    waiting.shift()?.();
  }

  /** Opens the upstream connection for `socket`; `pending` holds what it sent meanwhile. */
  function relay(socket: WebSocket, target: string, pending: Buffer[]): void {
    open++;
    const [host, targetPort] = target.split(':');
    const tcp = connect(Number(targetPort), host);
    tcp.setNoDelay(true);
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release();
    };
    tcp.on('connect', () => {
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    socket.on('message', (data: Buffer) => {
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
    });
    tcp.on('data', (data) => socket.send(data));
    tcp.on('close', () => {
      releaseOnce();
      socket.close();
    });
    tcp.on('error', () => socket.close());
    socket.on('close', () => tcp.destroy());
    socket.on('error', () => tcp.destroy());
  }

  server.on('connection', function accept(socket, request) {
    const target = new URL(request.url ?? '/', 'http://proxy').searchParams.get('address') ?? '';
    if (!allowedTargets.includes(target)) {
      socket.close(1008, 'target not allowed');
      return;
    }
    const pending: Buffer[] = [];
    if (open < maxConnections) {
      relay(socket, target, pending);
      return;
    }
    // Hold what the client sends (its startup message) until a connection is free.
    const hold = (data: Buffer) => pending.push(data);
    socket.on('message', hold);
    let settled = false;
    const start = () => {
      settled = true;
      clearTimeout(timer);
      socket.off('message', hold);
      // Gone while waiting (its close event not yet seen): the slot goes to the next in line.
      if (socket.readyState !== socket.OPEN) return waiting.shift()?.();
      relay(socket, target, pending);
    };
    const giveUp = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const index = waiting.indexOf(start);
      if (index >= 0) waiting.splice(index, 1);
    };
    const timer = setTimeout(() => {
      giveUp();
      socket.close(TRY_AGAIN_LATER, 'no database connection free');
    }, maxWaitMs);
    socket.once('close', giveUp);
    waiting.push(start);
  });

  const { port: boundPort } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${boundPort}`,
    stats: () => ({ open, waiting: waiting.length }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
