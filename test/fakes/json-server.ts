import type { IncomingHttpHeaders } from 'node:http';
import { serveLocally } from './local-server';

/**
 * The HTTP plumbing the JSON provider stand-ins share (Telegram, LINE, Viber, the Graph,
 * 360dialog): a server on 127.0.0.1 and a free port (local-server.ts) that records each
 * request (raw body and parsed JSON), answers
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
  const { url, close } = await serveLocally(async (incoming, raw) => {
    const target = new URL(incoming.url ?? '/', 'http://stand-in.local');
    const request: JsonRequest = {
      method: incoming.method ?? '',
      path: target.pathname,
      query: target.searchParams,
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
    return {
      status: reply.status,
      headers: reply.headers,
      text: typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
    };
  });
  return {
    url,
    requests,
    replyNext: (...replies) => queued.push(...replies),
    close,
  };
}
