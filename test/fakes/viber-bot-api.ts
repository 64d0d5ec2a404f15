import { createHmac } from 'node:crypto';
import { type JsonReply, type JsonRequest, type JsonServer, startJsonServer } from './json-server';

/**
 * A local stand-in for the Viber REST Bot API, built from its reference, not from our code:
 *
 * - `POST /pa/<method>` with `X-Viber-Auth-Token`; every answer is HTTP 200 with `status`
 *   and `status_message` ("Errors": 2 invalidAuthToken, 3 badData, 4 missingData,
 *   5 receiverNotRegistered, 6 receiverNotSubscribed…).
 * - `send_message` ("Send Message"): `receiver` subscribed to the bot, `sender.name` of at
 *   most 28 characters, `type` text (`text` up to 7000) or picture (`media` URL whose last path
 *   segment ends in .jpeg, .png or .gif — "Picture message"; also .jpg, as the API's own
 *   example has it — else 3 badData; `text` up to 768). Answers `message_token` as a 64-bit
 *   integer in the raw JSON, as Viber does.
 * - `get_account_info` ("Get Account Info"), with the account's `webhook` URL (empty when none).
 * - `set_webhook` ("Setting a Webhook"): Viber posts a signed `webhook` event to the URL at once
 *   (HTTPS only, unless the stand-in allows plain HTTP for local Workers) and answers status 1
 *   (invalidUrl) unless it gets HTTP 200. An empty `url` removes the
 *   webhook ("Removing your webhook"), without a check; a missing one is 4 missingData. One
 *   webhook per account ("Each account can have only one webhook").
 */

export type SubscriberState = 'subscribed' | 'unsubscribed';

export interface ViberBotApiOptions {
  authToken: string;
  /** Further accounts the stand-in serves, each with its own token and webhook. */
  otherAccounts?: { authToken: string; name: string }[];
  subscribers?: Record<string, SubscriberState>;
  /**
   * Also take plain-HTTP webhook URLs (a local Worker's). Viber itself takes only HTTPS
   * ("Setting a Webhook": "Webhook URL must use SSL"): anything else is 1 invalidUrl.
   */
  allowHttpWebhook?: boolean;
}

export interface ViberSend {
  messageToken: string;
  receiver: string;
  body: Record<string, unknown>;
}

export type ViberWebhook = { url: string; event_types?: unknown; send_name?: unknown };

export interface ViberBotApi extends JsonServer {
  delivered: ViberSend[];
  subscribers: Record<string, SubscriberState>;
  /** The webhook of the account with `options.authToken`. */
  webhook: ViberWebhook | null;
  /** The webhook of any account the stand-in serves. */
  webhookOf(authToken: string): ViberWebhook | null;
  /** The requests (accepted or refused) to a method (`set_webhook`…), for one token or any. */
  calls(method: string, authToken?: string): JsonRequest[];
  sends(): JsonRequest[];
}

export function viberStatus(status: number, statusMessage: string): JsonReply {
  return { status: 200, body: { status, status_message: statusMessage } };
}

/** `X-Viber-Content-Signature`: hex HMAC-SHA256(auth token, body). */
export function viberSignature(authToken: string, body: string): string {
  return createHmac('sha256', authToken).update(body).digest('hex');
}

/** A 64-bit message token above 2^53, as digits (JSON numbers that size lose precision). */
let tokenCounter = 5_741_311_803_571_721_000n;
export function nextMessageToken(): string {
  tokenCounter += 7n;
  return tokenCounter.toString();
}

export async function startViberBotApi(options: ViberBotApiOptions): Promise<ViberBotApi> {
  const subscribers: Record<string, SubscriberState> = { ...options.subscribers };
  const delivered: ViberSend[] = [];
  const names = new Map<string, string>([
    [options.authToken, 'Sendflow Test'],
    ...(options.otherAccounts ?? []).map((account) => [account.authToken, account.name] as const),
  ]);
  const webhooks = new Map<string, ViberWebhook | null>();

  function send(body: Record<string, unknown>): JsonReply {
    const receiver = typeof body.receiver === 'string' ? body.receiver : '';
    const sender = (body.sender ?? {}) as Record<string, unknown>;
    if (!receiver || typeof sender.name !== 'string' || !body.type) {
      return viberStatus(4, 'missingData');
    }
    if (sender.name.length > 28) return viberStatus(3, 'badData');
    if (body.type === 'text') {
      if (typeof body.text !== 'string' || body.text.length === 0 || body.text.length > 7000) {
        return viberStatus(3, 'badData');
      }
    } else if (body.type === 'picture') {
      // "The URL must have a resource with a .jpeg, .png or .gif file extension as the last
      // path segment" ("Picture message", `media`).
      const media = typeof body.media === 'string' ? URL.parse(body.media) : null;
      if (
        !media ||
        !/^https?:$/.test(media.protocol) ||
        !/\.(jpe?g|png|gif)$/i.test(media.pathname.split('/').pop() ?? '')
      ) {
        return viberStatus(3, 'badData');
      }
      if (typeof body.text === 'string' && body.text.length > 768) return viberStatus(3, 'badData');
    } else {
      return viberStatus(3, 'badData');
    }
    const subscriber = subscribers[receiver];
    if (!subscriber) return viberStatus(5, 'receiverNotRegistered');
    if (subscriber === 'unsubscribed') return viberStatus(6, 'receiverNotSubscribed');
    const messageToken = nextMessageToken();
    delivered.push({ messageToken, receiver, body });
    // The token as a bare 64-bit integer, exactly as Viber writes it.
    return {
      status: 200,
      body: `{"status":0,"status_message":"ok","message_token":${messageToken},"chat_hostname":"SN-CHAT-05_"}`,
    };
  }

  async function setWebhook(authToken: string, body: Record<string, unknown>): Promise<JsonReply> {
    if (typeof body.url !== 'string') return viberStatus(4, 'missingData');
    const url = body.url;
    if (url === '') {
      webhooks.set(authToken, null);
      return viberStatus(0, 'ok');
    }
    if (!url.startsWith('https://') && !(options.allowHttpWebhook && url.startsWith('http://'))) {
      return viberStatus(1, 'invalidUrl');
    }
    const event = `{"event":"webhook","timestamp":${Date.now()},"chat_hostname":"SN-CHAT-05_","message_token":${nextMessageToken()}}`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-viber-content-signature': viberSignature(authToken, event),
        },
        body: event,
      });
      if (response.status !== 200) return viberStatus(1, 'invalidUrl');
    } catch {
      return viberStatus(1, 'invalidUrl');
    }
    webhooks.set(authToken, body as ViberWebhook);
    return {
      status: 200,
      body: { status: 0, status_message: 'ok', event_types: body.event_types ?? [] },
    };
  }

  const isSend = (request: JsonRequest) => request.path === '/pa/send_message';
  const server = await startJsonServer({
    queuedFor: isSend,
    answer(request) {
      if (request.method !== 'POST' || !request.path.startsWith('/pa/')) {
        return { status: 404, body: 'Not found' };
      }
      const authToken = request.headers['x-viber-auth-token'];
      const name = typeof authToken === 'string' ? names.get(authToken) : undefined;
      if (typeof authToken !== 'string' || name === undefined) {
        return viberStatus(2, 'invalidAuthToken');
      }
      const body = request.json ?? {};
      if (isSend(request)) return send(body);
      if (request.path === '/pa/set_webhook') return setWebhook(authToken, body);
      if (request.path === '/pa/get_account_info') {
        return {
          status: 200,
          body: {
            status: 0,
            status_message: 'ok',
            id: authToken === options.authToken ? 'pa:75346594275468546724' : `pa:${name}`,
            name,
            uri: 'sendflowtest',
            webhook: webhooks.get(authToken)?.url ?? '',
            subscribers_count: Object.keys(subscribers).length,
          },
        };
      }
      return viberStatus(3, 'badData');
    },
  });
  return {
    ...server,
    delivered,
    subscribers,
    get webhook() {
      return webhooks.get(options.authToken) ?? null;
    },
    webhookOf: (authToken) => webhooks.get(authToken) ?? null,
    calls: (method, authToken) =>
      server.requests.filter(
        (request) =>
          request.path === `/pa/${method}` &&
          (authToken === undefined || request.headers['x-viber-auth-token'] === authToken),
      ),
    sends: () => server.requests.filter(isSend),
  };
}

/** A delivered/seen/failed callback for a message token, as raw JSON (64-bit token intact). */
export function viberStatusCallback(
  event: 'delivered' | 'seen' | 'failed',
  messageToken: string,
  userId: string,
  at = new Date(),
  desc?: string,
): string {
  return `{"event":"${event}","timestamp":${at.getTime()},"chat_hostname":"SN-CHAT-05_","message_token":${messageToken},"user_id":${JSON.stringify(userId)}${desc ? `,"desc":${JSON.stringify(desc)}` : ''}}`;
}

/** A user's text message callback ("Receive message from user"). */
export function viberMessageCallback(
  sender: { id: string; name: string },
  messageToken: string,
  text: string,
  at = new Date(),
): string {
  return `{"event":"message","timestamp":${at.getTime()},"chat_hostname":"SN-CHAT-05_","message_token":${messageToken},"sender":${JSON.stringify({ ...sender, language: 'en', country: 'GB', api_version: 10 })},"message":${JSON.stringify({ type: 'text', text })},"silent":false}`;
}

/** POSTs a raw callback body as Viber does: signed, forged, or unsigned. */
export function postViberCallback(
  url: string,
  body: string,
  authToken: string,
  signing: 'valid' | 'forged' | 'missing' = 'valid',
  sendRequest: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing === 'valid') headers['x-viber-content-signature'] = viberSignature(authToken, body);
  if (signing === 'forged')
    headers['x-viber-content-signature'] = viberSignature(`${authToken}x`, body);
  return sendRequest(url, { method: 'POST', headers, body });
}
