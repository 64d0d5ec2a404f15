import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { listenLocally } from './local-server';

/**
 * A local HTTP endpoint standing in for a workspace's custom channel (or a partner's webhook
 * receiver). It verifies the Standard Webhooks signature itself, from the specification
 * (standardwebhooks.com: HMAC-SHA256 over `id.timestamp.body`, keyed with the base64 bytes
 * after `whsec_`, header `v1,<base64>`, space-separated list, 5-minute tolerance) with
 * node:crypto — independently of the signer under test — and answers as a test scripts it.
 */

/** How far a webhook-timestamp may be from now (the specification's recommendation). */
const TOLERANCE_SECONDS = 5 * 60;

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  idempotencyKey?: string;
  /** Why the signature did not verify, or undefined when it did. */
  signatureError?: string;
  /** Date.now() when the request's body had arrived. */
  receivedAt: number;
}

export interface WebhookReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Waits this long before answering (to provoke client timeouts). */
  delayMs?: number;
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedWebhook[];
  /** Sets how the next requests are answered (default: 200 with a JSON `id`). */
  respondWith(reply: (request: ReceivedWebhook, index: number) => WebhookReply): void;
  close(): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Verifies a Standard Webhooks signature; returns why it fails, or undefined when it holds. */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | undefined {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) return 'missing webhook-id, -timestamp or -signature';
  if (!/^\d+$/.test(timestamp)) return 'webhook-timestamp is not an integer';
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS)
    return 'timestamp outside tolerance';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) continue;
    const given = Buffer.from(signature, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  }
  return 'no v1 signature matches';
}

/** Starts a receiver on 127.0.0.1 and a free port that verifies with `secret`. */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  let reply = (_request: ReceivedWebhook, index: number): WebhookReply => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: `msg_${index + 1}` }),
  });

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const received: ReceivedWebhook = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        json,
        idempotencyKey: header(request.headers, 'idempotency-key'),
        signatureError: verifyStandardWebhook(secret, request.headers, body),
        receivedAt: Date.now(),
      };
      const index = requests.push(received) - 1;
      const answer = reply(received, index);
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });

  const { url, close } = await listenLocally(server);
  return {
    url: `${url}/sendflow`,
    requests,
    respondWith(next) {
      reply = next;
    },
    close,
  };
}
