import { type JsonReply, type JsonRequest, type JsonServer, startJsonServer } from './json-server';
import { parseMarkdownV2 } from './telegram-markdown';

/**
 * A local stand-in for the Telegram Bot API, built from its reference, not from our code:
 *
 * - `POST /bot<token>/<method>` with a JSON body ("Making requests"); an unknown token is
 *   401 `Unauthorized`. Answers `{ ok: true, result }` or `{ ok: false, error_code,
 *   description, parameters? }`.
 * - `getMe` ("getMe"): the bot `User`.
 * - `setWebhook` ("setWebhook"): `url` (HTTPS unless the stand-in allows plain HTTP for local
 *   Workers; an empty string removes the webhook; "Ports currently supported for webhooks: 443,
 *   80, 88, 8443", else 400 `bad webhook: Webhook can be set up only on ports 80, 88, 443 or
 *   8443`), `secret_token` of 1-256 characters `A-Za-z0-9_-`, `allowed_updates`; kept in
 *   `webhook`. One webhook per bot.
 * - `getWebhookInfo` ("getWebhookInfo"): a `WebhookInfo` whose `url` is empty when none is set.
 * - `deleteWebhook` ("deleteWebhook"): removes it (optional boolean `drop_pending_updates`,
 *   recorded in `droppedPendingUpdates`); True, also when there was none.
 * - `sendMessage`, `sendPhoto`, `sendDocument`: the chat must have started the bot (else 400
 *   `chat not found`; a chat that blocked the bot is 403); text 1-4096 and captions 0-1024
 *   characters after entity parsing; `parse_mode: MarkdownV2` parsed as Telegram does (see
 *   telegram-markdown.ts), so an unescaped reserved character is 400 `can't parse entities`;
 *   files by http(s) URL, and a document by URL only when it is a GIF, PDF or ZIP file
 *   ("Sending files"; Telegram judges the fetched content, the stand-in, which fetches nothing,
 *   the URL's file extension), else 400 `wrong type of the web page content`. Answers the sent
 *   `Message` (`message_id`, `chat`, `date`, `text` or `caption` as the recipient sees it).
 */

export type ChatState = 'active' | 'blocked' | 'deactivated';

export interface TelegramBotApiOptions {
  token: string;
  username?: string;
  /** Further bots the stand-in serves, each with its own token and webhook. */
  otherBots?: { token: string; username: string }[];
  /** Chats that started the bot, by chat id. */
  chats?: Record<string, ChatState>;
  /** Local Workers are reached over plain HTTP; real Telegram requires HTTPS. */
  allowHttpWebhook?: boolean;
}

/** A message as the recipient sees it. */
export interface DeliveredMessage {
  method: string;
  chatId: string;
  messageId: number;
  text: string | null;
  file: string | null;
}

export type TelegramWebhook = { url: string; secret_token?: string; allowed_updates?: unknown };

export interface TelegramBotApi extends JsonServer {
  /** The webhook of the bot with `options.token`. */
  webhook: TelegramWebhook | null;
  /** The webhook of any bot the stand-in serves. */
  webhookOf(token: string): TelegramWebhook | null;
  /** `drop_pending_updates` of each `deleteWebhook` call, in order (undefined when omitted). */
  droppedPendingUpdates: unknown[];
  /** The requests (accepted or refused) to a Bot API method, for one bot token or any. */
  calls(method: string, token?: string): JsonRequest[];
  delivered: DeliveredMessage[];
  chats: Record<string, ChatState>;
  /** The send requests received (including refused ones), in order. */
  sends(): JsonRequest[];
}

/** A Bot API error answer ("Making requests"). */
export function telegramError(
  code: number,
  description: string,
  parameters?: Record<string, unknown>,
): JsonReply {
  return {
    status: code,
    body: { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) },
  };
}

const SEND_METHODS = new Set(['sendMessage', 'sendPhoto', 'sendDocument']);
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const WEBHOOK_PORTS: ReadonlySet<string> = new Set(['443', '80', '88', '8443']);
/** "In sendDocument, sending by URL will currently only work for GIF, PDF and ZIP files." */
const URL_DOCUMENT = /\.(gif|pdf|zip)$/i;

export async function startTelegramBotApi(options: TelegramBotApiOptions): Promise<TelegramBotApi> {
  const chats: Record<string, ChatState> = { ...options.chats };
  const delivered: DeliveredMessage[] = [];
  let messageId = 100;
  const usernames = new Map<string, string>([
    [options.token, options.username ?? 'sendflow_test_bot'],
    ...(options.otherBots ?? []).map((bot) => [bot.token, bot.username] as const),
  ]);
  const webhooks = new Map<string, TelegramWebhook | null>();
  const droppedPendingUpdates: unknown[] = [];

  /** setWebhook with an empty URL, and deleteWebhook ("Returns True on success"). */
  function removeWebhook(token: string): JsonReply {
    const had = Boolean(webhooks.get(token));
    webhooks.set(token, null);
    return {
      status: 200,
      body: {
        ok: true,
        result: true,
        description: had ? 'Webhook was deleted' : 'Webhook is already deleted',
      },
    };
  }

  function sendAnswer(method: string, body: Record<string, unknown>): JsonReply {
    const chatId = String(body.chat_id ?? '');
    if (!chatId) return telegramError(400, 'Bad Request: chat_id is empty');
    const chat = chats[chatId];
    if (!chat) return telegramError(400, 'Bad Request: chat not found');
    if (chat === 'blocked') return telegramError(403, 'Forbidden: bot was blocked by the user');
    if (chat === 'deactivated') return telegramError(403, 'Forbidden: user is deactivated');
    const field = method === 'sendMessage' ? 'text' : 'caption';
    const raw = body[field];
    let shown: string | null = null;
    if (raw !== undefined) {
      if (typeof raw !== 'string')
        return telegramError(400, `Bad Request: ${field} must be a string`);
      if (body.parse_mode === 'MarkdownV2') {
        const parsed = parseMarkdownV2(raw);
        if (!parsed.ok) return telegramError(400, parsed.description);
        shown = parsed.text;
      } else if (body.parse_mode !== undefined) {
        return telegramError(400, `Bad Request: unsupported parse_mode ${String(body.parse_mode)}`);
      } else {
        shown = raw;
      }
    }
    let file: string | null = null;
    if (method === 'sendMessage') {
      if (!shown) return telegramError(400, 'Bad Request: message text is empty');
      if (shown.length > 4096) return telegramError(400, 'Bad Request: message is too long');
    } else {
      const value = body[method === 'sendPhoto' ? 'photo' : 'document'];
      if (typeof value !== 'string' || !/^https?:\/\//.test(value)) {
        return telegramError(400, 'Bad Request: wrong file identifier/HTTP URL specified');
      }
      if (method === 'sendDocument' && !URL_DOCUMENT.test(URL.parse(value)?.pathname ?? '')) {
        return telegramError(400, 'Bad Request: wrong type of the web page content');
      }
      file = value;
      if (shown && shown.length > 1024) {
        return telegramError(400, 'Bad Request: message caption is too long');
      }
    }
    messageId += 1;
    delivered.push({ method, chatId, messageId, text: shown, file });
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: 'private' },
          ...(shown !== null ? { [field]: shown } : {}),
        },
      },
    };
  }

  const server = await startJsonServer({
    queuedFor: (request) => SEND_METHODS.has(request.path.split('/')[2] ?? ''),
    answer(request) {
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.path);
      if (!match) return telegramError(404, 'Not Found');
      const token = match[1]!;
      const username = usernames.get(token);
      if (username === undefined) return telegramError(401, 'Unauthorized');
      const method = match[2]!;
      const body = request.json ?? {};
      if (method === 'getMe') {
        return {
          status: 200,
          body: {
            ok: true,
            result: {
              id: Number(token.split(':')[0]),
              is_bot: true,
              first_name: 'Sendflow Test',
              username,
            },
          },
        };
      }
      if (method === 'setWebhook') {
        const url = typeof body.url === 'string' ? body.url : '';
        // "Use an empty string to remove webhook integration."
        if (body.url === '') return removeWebhook(token);
        if (!/^https:\/\//.test(url) && !(options.allowHttpWebhook && /^http:\/\//.test(url))) {
          return telegramError(
            400,
            'Bad Request: bad webhook: HTTPS url must be provided for webhook',
          );
        }
        // "Ports currently supported for webhooks: 443, 80, 88, 8443" ("setWebhook", Notes).
        // A local Worker's plain-HTTP URL (allowHttpWebhook) is the stand-in's own allowance.
        const port = URL.parse(url)?.port || '443';
        if (url.startsWith('https://') && !WEBHOOK_PORTS.has(port)) {
          return telegramError(
            400,
            'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443',
          );
        }
        if (body.secret_token !== undefined && !SECRET_TOKEN.test(String(body.secret_token))) {
          return telegramError(400, 'Bad Request: secret token contains unallowed characters');
        }
        webhooks.set(token, body as TelegramWebhook);
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was set' } };
      }
      if (method === 'getWebhookInfo') {
        const webhook = webhooks.get(token) ?? null;
        return {
          status: 200,
          body: {
            ok: true,
            result: {
              url: webhook?.url ?? '',
              has_custom_certificate: false,
              pending_update_count: 0,
              ...(webhook?.allowed_updates ? { allowed_updates: webhook.allowed_updates } : {}),
            },
          },
        };
      }
      if (method === 'deleteWebhook') {
        droppedPendingUpdates.push(body.drop_pending_updates);
        return removeWebhook(token);
      }
      if (SEND_METHODS.has(method)) return sendAnswer(method, body);
      return telegramError(404, 'Not Found: method not found');
    },
  });
  return {
    ...server,
    get webhook() {
      return webhooks.get(options.token) ?? null;
    },
    webhookOf: (token) => webhooks.get(token) ?? null,
    droppedPendingUpdates,
    calls: (method, token) =>
      server.requests.filter((request) => {
        const [, bot, called] = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(request.path) ?? [];
        return called === method && (token === undefined || bot === token);
      }),
    delivered,
    chats,
    sends: () => server.requests.filter((r) => SEND_METHODS.has(r.path.split('/')[2] ?? '')),
  };
}

/** An `Update` with a private text message from a user ("Update", "Message"). */
export function telegramTextUpdate(
  updateId: number,
  from: { id: number; firstName: string; lastName?: string },
  text: string,
  at = new Date(),
): Record<string, unknown> {
  const user = {
    id: from.id,
    is_bot: false,
    first_name: from.firstName,
    ...(from.lastName ? { last_name: from.lastName } : {}),
  };
  return {
    update_id: updateId,
    message: {
      message_id: updateId * 10,
      from: user,
      chat: {
        id: from.id,
        first_name: from.firstName,
        ...(from.lastName ? { last_name: from.lastName } : {}),
        type: 'private',
      },
      date: Math.floor(at.getTime() / 1000),
      text,
    },
  };
}

/** POSTs an update to our webhook as Telegram does: with the secret token, a wrong one, or none. */
export function postTelegramUpdate(
  url: string,
  update: unknown,
  secretToken: string,
  signing: 'valid' | 'forged' | 'missing' = 'valid',
  send: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing === 'valid') headers['x-telegram-bot-api-secret-token'] = secretToken;
  if (signing === 'forged') headers['x-telegram-bot-api-secret-token'] = `${secretToken}x`;
  return send(url, { method: 'POST', headers, body: JSON.stringify(update) });
}

/**
 * Sets a bot's webhook as its owner would, outside Sendflow (`setWebhook`; "" removes it): a
 * connection leaves another channel's or service's webhook where it is.
 */
export async function ownerSetsWebhook(
  server: TelegramBotApi,
  token: string,
  url: string,
): Promise<void> {
  const answer = await fetch(`${server.url}/bot${token}/setWebhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  if (answer.status !== 200) throw new Error(`setWebhook answered ${answer.status}`);
}

/** Removes a bot's webhook as its owner would (`setWebhook` with url ""). */
export function clearWebhook(server: TelegramBotApi, token: string): Promise<void> {
  return ownerSetsWebhook(server, token, '');
}
