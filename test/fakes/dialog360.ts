import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GraphReply, graphError, sendBodyProblem } from './meta-graph';

/**
 * A local stand-in for 360dialog's WhatsApp API, built from 360dialog's docs ("The Basics"):
 *
 * - `POST /messages`: the Cloud API message body (checked by the Cloud API rules in
 *   meta-graph.ts: `to` a phone, or `recipient` a business-scoped user ID, which 360dialog
 *   sends to as Meta does: "BSUIDs and BSUID-sending are already live", "[alpha] Usernames",
 *   "Validation guide"), authorised by `D360-API-KEY`; a missing or unknown key is 401 with
 *   360dialog's own `{ meta: { success: false, http_code, developer_message } }`; a good
 *   send answers as the Cloud API does (`messages: [{ id: "wamid…" }]`).
 * - `GET /v1/configs/webhook` / `POST /v1/configs/webhook` (`{ url, headers }`): the number's
 *   webhook; `GET /v1/configs/templates`: `{ waba_templates: [...] }` in the Graph's shape.
 * - Cloud API errors pass through in the Graph error format.
 */

export interface Dialog360Request {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown> | null;
}

export interface Dialog360 {
  url: string;
  requests: Dialog360Request[];
  sends(): Dialog360Request[];
  replyNext(...replies: GraphReply[]): void;
  webhook: { url: string | null; headers: Record<string, string> };
  close(): Promise<void>;
}

function unauthorized(): GraphReply {
  return {
    status: 401,
    body: { meta: { success: false, http_code: 401, developer_message: 'Invalid api key' } },
  };
}

export async function startDialog360(options: {
  apiKey: string;
  templates?: Record<string, unknown>[];
}): Promise<Dialog360> {
  const requests: Dialog360Request[] = [];
  const queued: GraphReply[] = [];
  const webhook: Dialog360['webhook'] = { url: null, headers: {} };

  function answer(request: Dialog360Request): GraphReply {
    const isSend = request.method === 'POST' && request.path === '/messages';
    if (isSend && queued.length > 0) return queued.shift()!;
    if (request.headers['d360-api-key'] !== options.apiKey) return unauthorized();
    if (isSend) {
      const problem = sendBodyProblem(request.json);
      if (problem) return graphError(400, 100, '(#100) Invalid parameter', { details: problem });
      // As the Cloud API answers: `wa_id` for a phone (`to`), `user_id` for a business-scoped
      // user ID sent to as `recipient` (without `to`).
      const to = request.json?.to === undefined ? null : String(request.json.to);
      const recipient = String(request.json?.recipient);
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [
            to === null
              ? { input: recipient, user_id: recipient }
              : { input: to, wa_id: to.replace(/^\+/, '') },
          ],
          messages: [{ id: `wamid.${randomBytes(8).toString('hex')}` }],
        },
      };
    }
    if (request.method === 'GET' && request.path === '/v1/configs/templates') {
      const templates = options.templates ?? [];
      return {
        status: 200,
        body: {
          count: templates.length,
          total: templates.length,
          offset: 0,
          waba_templates: templates,
        },
      };
    }
    if (request.path === '/v1/configs/webhook') {
      if (request.method === 'POST') {
        webhook.url = String(request.json?.url ?? '');
        webhook.headers = (request.json?.headers as Record<string, string>) ?? {};
      }
      return { status: 200, body: { url: webhook.url } };
    }
    return { status: 404, body: { meta: { success: false, http_code: 404 } } };
  }

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      let json: Record<string, unknown> | null = null;
      try {
        json = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        json = null;
      }
      const request: Dialog360Request = {
        method: incoming.method ?? '',
        path: new URL(incoming.url ?? '/', 'http://d360.local').pathname,
        headers: incoming.headers,
        json,
      };
      requests.push(request);
      const reply = answer(request);
      outgoing.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      outgoing.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    sends: () => requests.filter((request) => request.path === '/messages'),
    replyNext: (...replies) => queued.push(...replies),
    webhook,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
