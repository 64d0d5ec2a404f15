import { type AddressInfo, connect, type Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  AUTHENTICATION,
  ERROR_RESPONSE,
  FrameScanner,
  FUNCTION_CALL,
  GSSENC_REQUEST_CODE,
  IDLE,
  PROTOCOL_3_0,
  QUERY,
  queryMessage,
  READY_FOR_QUERY,
  SSL_REQUEST_CODE,
  SYNC,
  splitMessages,
  splitStartupPacket,
  TERMINATE,
} from './pg-wire';

export interface WsProxy {
  /** `host:port` to give the Neon driver as `wsProxy`. */
  address: string;
  /**
   * Upstream connections open now (in use, idle or connecting), the idle sessions among them
   * kept for reuse, and WebSockets waiting for one.
   */
  stats(): { open: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface WsProxyOptions {
  port?: number;
  allowedTargets: string[];
  /**
   * Most upstream (TCP) connections open at once, idle kept sessions included; further
   * WebSockets wait for a free one, their bytes held, so that a burst of requests queues here
   * instead of meeting Postgres's "too many clients". Default: no limit.
   */
  maxConnections?: number;
  /** How long a WebSocket may wait for a connection before it is closed (default 60 s). */
  maxWaitMs?: number;
  /**
   * Keep a Postgres server session when its client leaves and hand it, after `DISCARD ALL`, to
   * the next client with the same startup parameters: what Neon's pooler (PgBouncer) does for
   * the pooled connection string the Worker uses in production, so that local runs do not pay a
   * backend's start and cold catalog caches on every invocation. Default: off, every WebSocket
   * gets a connection of its own.
   */
  reuseSessions?: boolean;
  /** How long a kept session may stay idle before it is closed (default 30 s). */
  idleTimeoutMs?: number;
}

/** WebSocket close code 1013, "Try Again Later" (RFC 6455 §7.4.2, IANA registry). */
const TRY_AGAIN_LATER = 1013;
const DEFAULT_MAX_WAIT_MS = 60_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** One upstream connection and what the relay knows of it. */
interface Upstream {
  tcp: Socket;
  /** Counted in `open` until dropped. */
  counted: boolean;
}

/** A server session that can be kept: its startup went through without a password exchange. */
interface Session extends Upstream {
  /** The client's startup parameters (and target): only an identical client may reuse it. */
  key: string;
  /** What the server said from AuthenticationOk to its first ReadyForQuery, replayed to each client. */
  hello: Buffer;
  /** False when the startup needed more than the relay can replay (a password): never kept. */
  reusable: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/**
 * A WebSocket-to-TCP proxy so the Neon serverless driver (which speaks Postgres over WebSocket)
 * can reach a local Postgres. Development and tests only: Neon runs its own.
 * The driver asks for `/v1?address=host:port`; only `allowedTargets` may be reached.
 * With `maxConnections` it is also a connection limiter: a WebSocket beyond the limit waits
 * (first come, first served) and is closed with 1013 after `maxWaitMs`; the Worker answers that
 * with 503 and Retry-After (edge/host/availability.ts). With `reuseSessions` it keeps server
 * sessions between clients (db/pg-wire.ts reads the protocol's frames for it).
 */
export async function startWsProxy({
  port = 0,
  allowedTargets,
  maxConnections = Number.POSITIVE_INFINITY,
  maxWaitMs = DEFAULT_MAX_WAIT_MS,
  reuseSessions = false,
  idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
}: WsProxyOptions): Promise<WsProxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  let open = 0;
  const waiting: Array<() => void> = [];
  const idle: Session[] = [];
  const upstreams = new Set<Upstream>();

  /** A slot (or an idle session) became free: the first waiter tries again. */
  function wake(): void {
    waiting.shift()?.();
  }

  function openUpstream(target: string): Upstream {
    open++;
    const [host, targetPort] = target.split(':');
    const tcp = connect(Number(targetPort), host);
    tcp.setNoDelay(true);
    const upstream: Upstream = { tcp, counted: true };
    upstreams.add(upstream);
    tcp.on('close', () => drop(upstream));
    tcp.on('error', () => tcp.destroy());
    return upstream;
  }

  /** Closes an upstream connection and frees its slot (once). */
  function drop(upstream: Upstream): void {
    const index = idle.indexOf(upstream as Session);
    if (index >= 0) idle.splice(index, 1);
    upstream.tcp.destroy();
    upstreams.delete(upstream);
    if (!upstream.counted) return;
    upstream.counted = false;
    open--;
    wake();
  }

  /** Relays `socket` byte for byte over a connection of its own; `pending` holds what it sent meanwhile. */
  function relay(socket: WebSocket, target: string, pending: Buffer[]): void {
    const { tcp } = openUpstream(target);
    tcp.on('connect', () => {
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    socket.on('message', (data: Buffer) => {
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
    });
    tcp.on('data', (data) => socket.send(data));
    tcp.on('close', () => socket.close());
    socket.on('close', () => tcp.destroy());
    socket.on('error', () => tcp.destroy());
  }

  /**
   * Runs `attempt` now, or when a slot frees, until it succeeds; closes `socket` with 1013 if
   * that takes longer than `maxWaitMs`. `hold` receives what the socket sends meanwhile.
   */
  function whenFree(socket: WebSocket, attempt: () => boolean, hold?: (data: Buffer) => void) {
    if (attempt()) return;
    if (hold) socket.on('message', hold);
    let settled = false;
    const start = () => {
      if (settled) return;
      // Gone while waiting (its close event not yet seen): the slot goes to the next in line.
      if (socket.readyState !== socket.OPEN) {
        giveUp();
        return wake();
      }
      if (!attempt()) {
        waiting.unshift(start);
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (hold) socket.off('message', hold);
    };
    const giveUp = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (hold) socket.off('message', hold);
      const index = waiting.indexOf(start);
      if (index >= 0) waiting.splice(index, 1);
    };
    const timer = setTimeout(() => {
      giveUp();
      socket.close(TRY_AGAIN_LATER, 'no database connection free');
    }, maxWaitMs);
    socket.once('close', giveUp);
    waiting.push(start);
  }

  function acceptRaw(socket: WebSocket, target: string): void {
    const pending: Buffer[] = [];
    whenFree(
      socket,
      () => {
        if (open >= maxConnections) return false;
        relay(socket, target, pending);
        return true;
      },
      (data) => pending.push(data),
    );
  }

  /**
   * Reads the client's startup itself (refusing SSL, which the local server does not offer
   * either), then gives it a kept session with the same parameters, or a new one.
   */
  function acceptPooled(socket: WebSocket, target: string): void {
    let buffer = Buffer.alloc(0);
    const onStartup = (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const packet = splitStartupPacket(buffer);
        if (!packet) return;
        if (packet.code === SSL_REQUEST_CODE || packet.code === GSSENC_REQUEST_CODE) {
          socket.send(Buffer.from('N'));
          buffer = Buffer.from(packet.rest);
          continue;
        }
        socket.off('message', onStartup);
        if (packet.code !== PROTOCOL_3_0) {
          // A CancelRequest names its backend itself: relayed as it is, on its own connection.
          relay(socket, target, [buffer]);
          return;
        }
        const key = `${target}\0${packet.packet.subarray(8).toString('latin1')}`;
        // What the client sends before its session is attached waits here, in order.
        const held: Buffer[] = [Buffer.from(packet.rest)];
        const hold = (more: Buffer) => held.push(more);
        socket.on('message', hold);
        const attachTo = (session: Session) => {
          socket.off('message', hold);
          attach(session, socket, held);
        };
        whenFree(socket, () => {
          const kept = takeIdle(key);
          if (kept) {
            attachTo(kept);
            return true;
          }
          if (open >= maxConnections && !evictIdle()) return false;
          startSession(target, key, Buffer.from(packet.packet), socket, attachTo);
          return true;
        });
        return;
      }
    };
    socket.on('message', onStartup);
  }

  function takeIdle(key: string): Session | undefined {
    const index = idle.findIndex((session) => session.key === key);
    if (index < 0) return undefined;
    const [session] = idle.splice(index, 1);
    clearTimeout(session!.idleTimer);
    return session;
  }

  /** Closes the longest-idle kept session to make room; false if there is none. */
  function evictIdle(): boolean {
    const oldest = idle[0];
    if (!oldest) return false;
    drop(oldest);
    return true;
  }

  /** Opens a server session for `socket`: the startup, then what the server answers until ready. */
  function startSession(
    target: string,
    key: string,
    startup: Buffer,
    socket: WebSocket,
    attachTo: (session: Session) => void,
  ): void {
    const session: Session = Object.assign(openUpstream(target), {
      key,
      hello: Buffer.alloc(0),
      reusable: true,
    });
    session.tcp.write(startup);
    const scanner = new FrameScanner();
    const received: Buffer[] = [];
    let ready = false;
    const onHello = (data: Buffer) => {
      received.push(data);
      scanner.scan(data, (frame) => {
        if (frame.type === READY_FOR_QUERY) ready = true;
        // A password request or a refusal: the client answers or reads it, so the exchange
        // cannot be replayed to another client; this connection is relayed and then closed.
        if (frame.type === ERROR_RESPONSE) session.reusable = false;
        if (frame.type === AUTHENTICATION && frame.body?.readInt32BE(0) !== 0) {
          session.reusable = false;
        }
      });
      if (!ready && session.reusable) return;
      session.tcp.off('data', onHello);
      session.hello = Buffer.concat(received);
      ready = true;
      attachTo(session);
    };
    session.tcp.on('data', onHello);
    session.tcp.once('close', () => {
      if (!ready) socket.close();
    });
    socket.once('close', () => {
      if (!ready) drop(session);
    });
  }

  /**
   * Serves `socket` from `session` until the client leaves, counting the ReadyForQuery each
   * Query, Sync or FunctionCall is owed; the client's Terminate is kept from the server. The
   * session is kept only if the client left between exchanges with no transaction open.
   */
  function attach(session: Session, socket: WebSocket, held: Buffer[]): void {
    if (socket.readyState !== socket.OPEN) {
      release(session, 1, 0, Buffer.alloc(0));
      return;
    }
    socket.send(session.hello);
    const scanner = new FrameScanner();
    let owed = 0;
    let status = IDLE;
    let rest = Buffer.alloc(0);
    let ended = false;
    const onServer = (data: Buffer) => {
      socket.send(data);
      scanner.scan(data, (frame) => {
        if (frame.type !== READY_FOR_QUERY) return;
        owed--;
        status = frame.body?.[0] ?? status;
      });
    };
    const onClient = (data: Buffer) => {
      if (!session.reusable) {
        session.tcp.write(data);
        return;
      }
      const split = splitMessages(rest.length > 0 ? Buffer.concat([rest, data]) : data);
      rest = Buffer.from(split.rest);
      const forward: Buffer[] = [];
      for (const message of split.messages) {
        const type = message[0];
        if (type === TERMINATE) {
          if (forward.length > 0) session.tcp.write(Buffer.concat(forward));
          return end();
        }
        if (type === QUERY || type === SYNC || type === FUNCTION_CALL) owed++;
        forward.push(message);
      }
      if (forward.length > 0) session.tcp.write(Buffer.concat(forward));
    };
    const onServerClose = () => socket.close();
    const end = () => {
      if (ended) return;
      ended = true;
      session.tcp.off('data', onServer);
      session.tcp.off('close', onServerClose);
      socket.off('message', onClient);
      socket.close();
      release(session, owed, status, rest);
    };
    session.tcp.on('data', onServer);
    session.tcp.on('close', onServerClose);
    socket.on('message', onClient);
    socket.once('close', end);
    for (const chunk of held.splice(0)) onClient(chunk);
  }

  /** After its client left: reset and keep the session, or close it when it is mid-exchange. */
  function release(session: Session, owed: number, status: number, rest: Buffer): void {
    if (!session.reusable || owed !== 0 || status !== IDLE || rest.length > 0) {
      drop(session);
      return;
    }
    const scanner = new FrameScanner();
    let failed = false;
    const onReset = (data: Buffer) => {
      scanner.scan(data, (frame) => {
        if (frame.type === ERROR_RESPONSE) failed = true;
        if (frame.type !== READY_FOR_QUERY) return;
        session.tcp.off('data', onReset);
        if (failed || frame.body?.[0] !== IDLE || !session.counted) return drop(session);
        session.idleTimer = setTimeout(() => drop(session), idleTimeoutMs);
        session.idleTimer.unref?.();
        idle.push(session);
        wake();
      });
    };
    session.tcp.on('data', onReset);
    session.tcp.write(queryMessage('DISCARD ALL'));
  }

  server.on('connection', function accept(socket, request) {
    const target = new URL(request.url ?? '/', 'http://proxy').searchParams.get('address') ?? '';
    if (!allowedTargets.includes(target)) {
      socket.close(1008, 'target not allowed');
      return;
    }
    socket.on('error', () => socket.terminate());
    if (reuseSessions) acceptPooled(socket, target);
    else acceptRaw(socket, target);
  });

  const { port: boundPort } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${boundPort}`,
    stats: () => ({ open, idle: idle.length, waiting: waiting.length }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        for (const upstream of [...upstreams]) drop(upstream);
        server.close(() => resolve());
      }),
  };
}
