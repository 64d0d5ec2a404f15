import { providerBaseUrl } from '../http/provider-url';
import type { ProviderEndpoints } from '../types';

/**
 * Where the LINE Messaging API lives and how it is called (Messaging API reference, "Common
 * specifications"): `https://api.line.me` with `Authorization: Bearer <channel access
 * token>`; errors are JSON `{ message, details?: [{ message, property }] }`.
 */

/** Who answers, in failure details. */
export const LINE_API = 'LINE Messaging API';

export const DEFAULT_LINE_API_URL = 'https://api.line.me';
export const LINE_API_URL = 'LINE_API_URL';

export function lineUrl(endpoints: ProviderEndpoints | undefined, path: string): string {
  return `${providerBaseUrl(endpoints, LINE_API_URL, DEFAULT_LINE_API_URL)}${path}`;
}

export function lineHeaders(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
}

/** `message` and the details' messages of a LINE error body, for failure details. */
export function lineErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; details?: unknown };
    const message = typeof parsed.message === 'string' ? parsed.message : '';
    const details = Array.isArray(parsed.details)
      ? parsed.details
          .map((detail: { message?: unknown; property?: unknown }) =>
            [detail?.property, detail?.message]
              .filter((part) => typeof part === 'string')
              .join(': '),
          )
          .filter(Boolean)
      : [];
    return [message, ...details].filter(Boolean).join('; ');
  } catch {
    return '';
  }
}
