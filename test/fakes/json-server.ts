import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP plumbing every JSON provider stand-in shares (Telegram, LINE, Viber): a server on
 * 127.0.0.1 and a free port that records each request (raw body and parsed JSON), answers
 * queued replies first (to play a provider's error once), and otherwise asks the stand-in's
 * `answer`, which implements the provider's documented contract.
 */

export interface JsonRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: string;
  /** The body parsed as JSON (or as a form, for form-encoded requests); null when neither. */
  json: Record<string, unknown> | null;
}

export interface JsonReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface JsonServer {
  url: string;
  requests: JsonRequest[];
  /** Answers the next requests that `queuedFor` selects with these replies, one each. */
  replyNext(...replies: JsonReply[]): void;
  close(): Promise<void>;
}

export interface JsonServerOptions {
  /** The stand-in's contract. */
  answer(request: JsonRequest): JsonReply | Promise<JsonReply>;
  /** Which requests queued replies apply to (default: every one). */
  queuedFor?(request: JsonRequest): boolean;
}

function parseBody(raw: string, contentType: string | undefined): JsonRequest['json'] {
  if (!raw) return null;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Starts a stand-in server. */
export async function startJsonServer(options: JsonServerOptions): Promise<JsonServer> {
  const requests: JsonRequest[] = [];
  const queued: JsonReply[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const url = new URL(incoming.url ?? '/', 'http://stand-in.local');
      const raw = Buffer.concat(chunks).toString('utf8');
      const request: JsonRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        raw,
        json: parseBody(raw, incoming.headers['content-type']),
      };
      requests.push(request);
      let reply: JsonReply;
      try {
        reply =
          queued.length > 0 && (options.queuedFor?.(request) ?? true)
            ? queued.shift()!
            : await options.answer(request);
      } catch (error) {
        reply = { status: 500, body: { error: String(error) } };
      }
      outgoing.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      outgoing.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    replyNext: (...replies) => queued.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
