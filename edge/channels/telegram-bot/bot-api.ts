import { providerBaseUrl } from '../http/provider-url';
import type { ProviderEndpoints } from '../types';

/**
 * Calls to the Telegram Bot API (Bot API, "Making requests"): `POST
 * https://api.telegram.org/bot<token>/<method>` with a JSON body; every answer is JSON
 * `{ ok, result }` or `{ ok: false, error_code, description, parameters? }`, where
 * `parameters.retry_after` says how long to wait after a flood limit (ResponseParameters).
 */

/** Who answers, in failure details. */
export const TELEGRAM_API = 'Telegram Bot API';

/** The real Bot API host; the Worker's `TELEGRAM_API_URL` may point at a stand-in. */
export const DEFAULT_TELEGRAM_API_URL = 'https://api.telegram.org';
export const TELEGRAM_API_URL = 'TELEGRAM_API_URL';

/** The URL of a Bot API method for the bot with `token`. */
export function telegramMethodUrl(
  endpoints: ProviderEndpoints | undefined,
  token: string,
  method: string,
): string {
  return `${providerBaseUrl(endpoints, TELEGRAM_API_URL, DEFAULT_TELEGRAM_API_URL)}/bot${token}/${method}`;
}

/** A Bot API answer, read leniently: a field that is absent or of another type is undefined. */
export interface TelegramAnswer {
  ok: boolean;
  result: unknown;
  errorCode: number | undefined;
  description: string | undefined;
  retryAfter: number | undefined;
  migrateToChatId: number | undefined;
}

/** Reads a Bot API answer body; null when it is not the documented JSON object. */
export function readTelegramAnswer(body: string): TelegramAnswer | null {
  let parsed: Record<string, unknown>;
  try {
    const value = JSON.parse(body) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
    parsed = value as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof parsed.ok !== 'boolean') return null;
  const parameters = (parsed.parameters ?? {}) as Record<string, unknown>;
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    ok: parsed.ok,
    result: parsed.result,
    errorCode: number(parsed.error_code),
    description: typeof parsed.description === 'string' ? parsed.description : undefined,
    retryAfter: number(parameters.retry_after),
    migrateToChatId: number(parameters.migrate_to_chat_id),
  };
}
