import { createHmac, randomUUID } from 'node:crypto';
import { type JsonReply, type JsonRequest, type JsonServer, startJsonServer } from './json-server';

/**
 * A local stand-in for the LINE Messaging API, built from its reference, not from our code:
 *
 * - Every call needs `Authorization: Bearer <channel access token>`; otherwise 401 `{ message:
 *   "Authentication failed…" }` ("Common specifications", "Status codes").
 * - `POST /v2/bot/message/push` ("Send push message"): `to` a user id (`U` + 32 hex) that is a
 *   friend of the account (else 400 "Failed to send messages"), 1-5 message objects (text of
 *   1-5000 characters; image with HTTPS `originalContentUrl` and `previewImageUrl`). With
 *   `X-Line-Retry-Key` (a UUID, else 400) a push is executed once: a later request with the
 *   same key is 409 "The retry key is already accepted" with `x-line-accepted-request-id` and
 *   the `sentMessages` of the accepted one ("Retry failed API requests"), but only for 24 hours
 *   ("The retry key is valid for 24 hours after attempting the first request", counted here
 *   from the push it executed): afterwards the key is forgotten and the same push is executed
 *   again, which is what a late retry would cause. Answers 200 `{ sentMessages: [{ id,
 *   quoteToken }] }` with `x-line-request-id`.
 * - `GET /v2/bot/info` ("Get bot info") and `PUT /v2/bot/channel/webhook/endpoint` ("Set
 *   webhook endpoint URL", HTTPS unless allowed for local Workers).
 * - `GET /v2/bot/channel/webhook/endpoint` ("Get webhook endpoint information"): 200
 *   `{ endpoint, active }`, the URL last set (through the API or, with `ownerSetsWebhook`, as
 *   the owner does in the LINE Developers Console) and whether "Use webhook" is on, which only
 *   the console switches; 404 `{ message: "Webhook endpoint not found" }` while no URL is set
 *   ("Error response"). One webhook URL per channel.
 *
 * `acceptThenFail(n)` plays the case the retry key exists for: the next n pushes are executed
 * (delivered) but answered 500, as when LINE's answer is lost. `now` is the stand-in's clock
 * (retry keys' age), so tests can move it on by hours.
 */

export interface LineMessagingApiOptions {
  accessToken: string;
  /** User ids that are friends of the account. */
  friends?: string[];
  allowHttpWebhook?: boolean;
  /** The stand-in's clock; the real one when absent. */
  now?: () => Date;
}

/** How long LINE keeps a retry key after its first request ("Retry failed API requests"). */
export const LINE_RETRY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export interface LinePush {
  retryKey: string | null;
  requestId: string;
  /** When it was executed (the stand-in's clock). */
  at: Date;
  to: string;
  messages: Record<string, unknown>[];
  sentMessages: { id: string; quoteToken: string }[];
}

export interface LineMessagingApi extends JsonServer {
  /** Pushes executed (what recipients got), in order. */
  delivered: LinePush[];
  friends: Set<string>;
  webhookEndpoint: string | null;
  /** "Use webhook" in the console: whether LINE sends events to `webhookEndpoint`. */
  webhookActive: boolean;
  /** The next `count` pushes are executed but answered 500 (with `Retry-After` when given). */
  acceptThenFail(count: number, retryAfterSeconds?: number): void;
  pushes(): JsonRequest[];
}

export function lineError(status: number, message: string, details?: unknown[]): JsonReply {
  return { status, body: { message, ...(details ? { details } : {}) } };
}

const USER_ID = /^U[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function messageProblem(message: Record<string, unknown>, index: number): string | null {
  const at = `messages[${index}]`;
  if (message.type === 'text') {
    const text = message.text;
    return typeof text === 'string' && text.length >= 1 && text.length <= 5000
      ? null
      : `${at}.text must have 1 to 5000 characters`;
  }
  if (message.type === 'image') {
    for (const key of ['originalContentUrl', 'previewImageUrl']) {
      const url = message[key];
      if (typeof url !== 'string' || !url.startsWith('https://') || url.length > 2000) {
        return `${at}.${key} must be an HTTPS URL`;
      }
    }
    return null;
  }
  return `${at}.type is not supported here`;
}

export async function startLineMessagingApi(
  options: LineMessagingApiOptions,
): Promise<LineMessagingApi> {
  const friends = new Set(options.friends ?? []);
  const delivered: LinePush[] = [];
  const accepted = new Map<string, LinePush>();
  const now = options.now ?? (() => new Date());
  let failAfterAccepting = 0;
  let failRetryAfter: number | undefined;
  let nextId = 500_000_000_000_000;
  const state = { webhookEndpoint: null as string | null, webhookActive: false };

  function push(request: JsonRequest): JsonReply {
    const retryKey = (request.headers['x-line-retry-key'] as string | undefined) ?? null;
    if (retryKey !== null && !UUID.test(retryKey)) {
      return lineError(400, 'The retry key is invalid');
    }
    const requestId = randomUUID();
    const at = now();
    let earlier = retryKey ? accepted.get(retryKey) : undefined;
    if (retryKey && earlier && at.getTime() - earlier.at.getTime() >= LINE_RETRY_KEY_TTL_MS) {
      // Past its 24 hours the key is not known any more: the push is executed as a new one.
      accepted.delete(retryKey);
      earlier = undefined;
    }
    if (earlier) {
      return {
        status: 409,
        headers: {
          'x-line-request-id': requestId,
          'x-line-accepted-request-id': earlier.requestId,
        },
        body: { message: 'The retry key is already accepted', sentMessages: earlier.sentMessages },
      };
    }
    const body = request.json ?? {};
    const to = body.to;
    if (typeof to !== 'string' || !USER_ID.test(to)) {
      return lineError(
        400,
        "The property, 'to', in the request body is invalid (line: -, column: -)",
      );
    }
    const messages = Array.isArray(body.messages)
      ? (body.messages as Record<string, unknown>[])
      : [];
    if (messages.length < 1 || messages.length > 5) {
      return lineError(400, 'The request body has 1 error(s)', [
        { message: 'Size must be between 1 and 5', property: 'messages' },
      ]);
    }
    for (const [index, message] of messages.entries()) {
      const problem = messageProblem(message, index);
      if (problem) {
        return lineError(400, 'A message (messages[0]) in the request body is invalid', [
          { message: problem, property: `messages[${index}]` },
        ]);
      }
    }
    if (!friends.has(to)) return lineError(400, 'Failed to send messages');
    const executed: LinePush = {
      retryKey,
      requestId,
      at,
      to,
      messages,
      sentMessages: messages.map(() => {
        nextId += 1;
        return { id: String(nextId), quoteToken: randomUUID() };
      }),
    };
    delivered.push(executed);
    if (retryKey) accepted.set(retryKey, executed);
    if (failAfterAccepting > 0) {
      failAfterAccepting -= 1;
      return {
        ...lineError(500, 'Internal server error'),
        ...(failRetryAfter === undefined
          ? {}
          : { headers: { 'retry-after': String(failRetryAfter) } }),
      };
    }
    return {
      status: 200,
      headers: { 'x-line-request-id': requestId },
      body: { sentMessages: executed.sentMessages },
    };
  }

  const isPush = (request: JsonRequest) =>
    request.method === 'POST' && request.path === '/v2/bot/message/push';

  const server = await startJsonServer({
    queuedFor: isPush,
    answer(request) {
      if (request.headers.authorization !== `Bearer ${options.accessToken}`) {
        return lineError(
          401,
          'Authentication failed. Confirm that the access token in the authorization header is valid.',
        );
      }
      if (isPush(request)) return push(request);
      if (request.method === 'GET' && request.path === '/v2/bot/info') {
        return {
          status: 200,
          body: {
            userId: 'U0123456789abcdef0123456789abcdef',
            basicId: '@123abcde',
            displayName: 'Sendflow Test',
            chatMode: 'bot',
            markAsReadMode: 'auto',
          },
        };
      }
      if (request.method === 'PUT' && request.path === '/v2/bot/channel/webhook/endpoint') {
        const endpoint = String(request.json?.endpoint ?? '');
        const https = endpoint.startsWith('https://');
        if (!https && !(options.allowHttpWebhook && endpoint.startsWith('http://'))) {
          return lineError(400, 'The request body has 1 error(s)', [
            { message: 'must be a valid HTTPS URL', property: 'endpoint' },
          ]);
        }
        state.webhookEndpoint = endpoint;
        return { status: 200, body: {} };
      }
      if (request.method === 'GET' && request.path === '/v2/bot/channel/webhook/endpoint') {
        return state.webhookEndpoint === null
          ? lineError(404, 'Webhook endpoint not found')
          : {
              status: 200,
              body: { endpoint: state.webhookEndpoint, active: state.webhookActive },
            };
      }
      return lineError(404, 'Not found');
    },
  });
  return {
    ...server,
    delivered,
    friends,
    get webhookEndpoint() {
      return state.webhookEndpoint;
    },
    set webhookEndpoint(url) {
      state.webhookEndpoint = url;
    },
    get webhookActive() {
      return state.webhookActive;
    },
    set webhookActive(active) {
      state.webhookActive = active;
    },
    acceptThenFail(count, retryAfterSeconds) {
      failAfterAccepting = count;
      failRetryAfter = retryAfterSeconds;
    },
    pushes: () => server.requests.filter(isPush),
  };
}

/**
 * Sets the channel's webhook URL as its owner would in the LINE Developers Console, outside
 * Sendflow and outside the request log (null: none set, as on a new channel); "Use webhook" is
 * switched on with it unless `active` says otherwise. A connection leaves another channel's or
 * service's URL where it is.
 */
export function ownerSetsWebhook(
  server: LineMessagingApi,
  url: string | null,
  active = url !== null,
): void {
  server.webhookEndpoint = url;
  server.webhookActive = active;
}

/** A channel with no webhook URL, as a new one is (and "Use webhook" off). */
export function clearWebhook(server: LineMessagingApi): void {
  ownerSetsWebhook(server, null);
}

/** `X-Line-Signature` as LINE computes it: base64 HMAC-SHA256(channel secret, body). */
export function lineSignature(channelSecret: string, body: string): string {
  return createHmac('sha256', channelSecret).update(body).digest('base64');
}

/** A webhook with one text message event from a user ("Message event"). */
export function lineTextWebhook(
  userId: string,
  messageId: string,
  text: string,
  at = new Date(),
): Record<string, unknown> {
  return {
    destination: 'U0123456789abcdef0123456789abcdef',
    events: [
      {
        type: 'message',
        mode: 'active',
        timestamp: at.getTime(),
        source: { type: 'user', userId },
        webhookEventId: `01H${messageId.padStart(23, '0')}`,
        deliveryContext: { isRedelivery: false },
        replyToken: randomUUID().replace(/-/g, ''),
        message: { id: messageId, type: 'text', quoteToken: randomUUID(), text },
      },
    ],
  };
}

/** POSTs a webhook as LINE does: signed, signed with another secret, or unsigned. */
export function postLineWebhook(
  url: string,
  payload: unknown,
  channelSecret: string,
  signing: 'valid' | 'forged' | 'missing' = 'valid',
  send: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<Response> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing === 'valid') headers['x-line-signature'] = lineSignature(channelSecret, body);
  if (signing === 'forged') headers['x-line-signature'] = lineSignature(`${channelSecret}0`, body);
  return send(url, { method: 'POST', headers, body });
}
