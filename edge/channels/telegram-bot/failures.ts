import { type FailureRowOutcome, rowOutcome } from '../failure-row';
import { classifyHttpStatus, type HttpAnswer } from '../http/classify';
import type { SendOutcome } from '../types';
import { readTelegramAnswer, TELEGRAM_API } from './bot-api';

/**
 * Bot API errors → our reasons. The Bot API documents `error_code` (the HTTP status) with a
 * human-readable `description` and `parameters` (Bot API, "Making requests",
 * "ResponseParameters"); the descriptions themselves are the Bot API server's
 * (tdlib/telegram-bot-api, Client.cpp), so rows match them by their stable start. The first
 * row whose code and description match wins; a code no row names falls back to the shared HTTP
 * rules. One test per row in failures.test.ts.
 */
export interface TelegramFailureRow extends FailureRowOutcome {
  code: number;
  /** Matched against `description`, case-insensitively; absent matches any. */
  description?: RegExp;
}

const MAKING_REQUESTS = 'Telegram Bot API, "Making requests"';
const RESPONSE_PARAMETERS = 'Telegram Bot API, "ResponseParameters"';
const FORMATTING = 'Telegram Bot API, "Formatting options"';
const SENDING_FILES = 'Telegram Bot API, "Sending files"';

export const TELEGRAM_FAILURES: readonly TelegramFailureRow[] = [
  {
    code: 401,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${MAKING_REQUESTS}: 401 Unauthorized, the bot token is not valid (revoked in @BotFather)`,
  },
  {
    code: 404,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${MAKING_REQUESTS}: 404 Not Found, no bot at /bot<token>/ (a malformed token)`,
  },
  {
    code: 403,
    description: /bot was blocked by the user/i,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${MAKING_REQUESTS}: 403 Forbidden: bot was blocked by the user`,
  },
  {
    code: 403,
    description: /user is deactivated/i,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${MAKING_REQUESTS}: 403 Forbidden: user is deactivated`,
  },
  {
    code: 403,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${MAKING_REQUESTS}: 403 Forbidden (the bot may not write to this chat: never started, kicked, not a member)`,
  },
  {
    code: 400,
    description: /chat not found/i,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${MAKING_REQUESTS}: 400 Bad Request: chat not found (the chat id is unknown to this bot)`,
  },
  {
    code: 400,
    description: /upgraded to a supergroup/i,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${RESPONSE_PARAMETERS}: migrate_to_chat_id, the group moved to a supergroup with a new id`,
  },
  {
    code: 400,
    description:
      /can't parse entities|message is too long|message text is empty|caption is too long/i,
    reason: 'content_invalid',
    transient: false,
    doc: `${FORMATTING}: 400 Bad Request: can't parse entities / message is too long (text 1-4096 characters after parsing)`,
  },
  {
    code: 400,
    description:
      /wrong (file identifier|type of the web page content)|failed to get HTTP URL content|wrong remote file/i,
    reason: 'content_invalid',
    transient: false,
    doc: `${SENDING_FILES}: 400 Bad Request: the file URL could not be fetched or is of a type Telegram does not take by URL`,
  },
  {
    code: 429,
    reason: 'rate_limited',
    transient: true,
    doc: `${RESPONSE_PARAMETERS}: 429 Too Many Requests, retry after parameters.retry_after seconds`,
  },
];

/** The row for an error, if any. */
export function findTelegramFailure(
  code: number,
  description: string,
): TelegramFailureRow | undefined {
  return TELEGRAM_FAILURES.find(
    (row) => row.code === code && (!row.description || row.description.test(description)),
  );
}

/** The outcome of a Bot API answer that is not `ok`. */
export function classifyTelegramAnswer(answer: HttpAnswer, now: Date): SendOutcome {
  const read = readTelegramAnswer(answer.body);
  const code = read?.errorCode ?? answer.status;
  const description = read?.description ?? '';
  const row = findTelegramFailure(code, description);
  if (!read) return classifyHttpStatus(answer, TELEGRAM_API, now);
  let detail = `${TELEGRAM_API} error ${code}${description ? `: ${description}` : ''}`;
  if (read.migrateToChatId !== undefined) {
    detail += ` (the chat is now ${read.migrateToChatId})`;
  }
  // A Bot API error no row names: its status decides, its description explains.
  if (!row) return { ...classifyHttpStatus(answer, TELEGRAM_API, now), detail } as SendOutcome;
  return rowOutcome(row, detail, row.code === 429 ? read.retryAfter : undefined);
}
