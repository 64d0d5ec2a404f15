import { type AddressInfo, connect } from 'node:net';
import { WebSocketServer } from 'ws';

export interface WsProxy {
  /** `host:port` to give the Neon driver as `wsProxy`. */
  address: string;
  close(): Promise<void>;
}

/**
 * A WebSocket-to-TCP proxy so the Neon serverless driver (which speaks Postgres over WebSocket)
 * can reach a local Postgres or PGlite socket. Development and tests only: Neon runs its own.
 * The driver asks for `/v1?address=host:port`; only `allowedTargets` may be reached.
 */
export async function startWsProxy({
  port = 0,
  allowedTargets,
}: {
  port?: number;
  allowedTargets: string[];
}): Promise<WsProxy> {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', function relay(socket, request) {
    const target = new URL(request.url ?? '/', 'http://proxy').searchParams.get('address') ?? '';
    if (!allowedTargets.includes(target)) {
      socket.close(1008, 'target not allowed');
      return;
    }
    const [host, targetPort] = target.split(':');
    const tcp = connect(Number(targetPort), host);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
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
    tcp.on('error', () => socket.close());
    socket.on('close', () => tcp.destroy());
    socket.on('error', () => tcp.destroy());
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
