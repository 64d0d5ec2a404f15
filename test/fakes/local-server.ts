import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in's address, and how to stop it. */
export interface LocalServer {
  url: string;
  /** Stops listening and ends open connections too, so a test file's teardown never waits on them. */
  close(): Promise<void>;
}

/** Starts `server` on 127.0.0.1 at a free port: every stand-in listens there. */
export async function listenLocally(server: Server): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A stand-in's answer, its body already written out (JSON, or a provider's raw text). */
export interface LocalReply {
  status: number;
  headers?: Record<string, string>;
  text: string;
}

/**
 * A JSON provider's stand-in listening as `listenLocally`: each request is handed, with its body
 * read, to `handle` (which records it and answers by the provider's contract), and the answer
 * goes back as `application/json` unless its headers say otherwise.
 */
export function serveLocally(
  handle: (incoming: IncomingMessage, body: string) => LocalReply | Promise<LocalReply>,
): Promise<LocalServer> {
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const reply = await handle(incoming, Buffer.concat(chunks).toString('utf8'));
      outgoing.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      outgoing.end(reply.text);
    });
  });
  return listenLocally(server);
}
