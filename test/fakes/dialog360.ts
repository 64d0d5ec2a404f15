import { randomBytes } from 'node:crypto';
import { type JsonRequest, startJsonServer } from './json-server';
import { cloudApiSent, type GraphReply, graphError, sendBodyProblem } from './meta-graph';

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

/** A request as the stand-in received it (test/fakes/json-server.ts records them). */
export type Dialog360Request = JsonRequest;

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

function isSend(request: Dialog360Request): boolean {
  return request.method === 'POST' && request.path === '/messages';
}

export async function startDialog360(options: {
  apiKey: string;
  templates?: Record<string, unknown>[];
}): Promise<Dialog360> {
  const webhook: Dialog360['webhook'] = { url: null, headers: {} };

  function answer(request: Dialog360Request): GraphReply {
    if (request.headers['d360-api-key'] !== options.apiKey) return unauthorized();
    if (isSend(request)) {
      const problem = sendBodyProblem(request.json);
      if (problem) return graphError(400, 100, '(#100) Invalid parameter', { details: problem });
      // As the Cloud API answers.
      return cloudApiSent(request.json, `wamid.${randomBytes(8).toString('hex')}`);
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

  // Queued replies (a Cloud API error played once) answer sends only, as the Graph stand-in's.
  const server = await startJsonServer({ answer, queuedFor: isSend });
  return {
    url: server.url,
    requests: server.requests,
    sends: () => server.requests.filter(isSend),
    replyNext: (...replies) => server.replyNext(...replies),
    webhook,
    close: () => server.close(),
  };
}
