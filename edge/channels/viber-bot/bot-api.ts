import { providerBaseUrl } from '../http/provider-url';
import type { ProviderEndpoints } from '../types';

/**
 * Calls to the Viber REST Bot API (REST Bot API, "Authentication token", "Errors"): `POST
 * https://chatapi.viber.com/pa/<method>` with `X-Viber-Auth-Token`; every answer is HTTP 200
 * with a JSON `status` (0 = ok) and `status_message`. A sent message's `message_token` is a
 * 64-bit integer, beyond what a JavaScript number holds exactly, so it is read from the raw
 * text, never through JSON.parse.
 */

export const VIBER_API = 'Viber REST Bot API';
export const DEFAULT_VIBER_API_URL = 'https://chatapi.viber.com';
export const VIBER_API_URL = 'VIBER_API_URL';

export function viberUrl(endpoints: ProviderEndpoints | undefined, method: string): string {
  return `${providerBaseUrl(endpoints, VIBER_API_URL, DEFAULT_VIBER_API_URL)}/pa/${method}`;
}

export function viberHeaders(authToken: string): Record<string, string> {
  return { 'x-viber-auth-token': authToken, 'content-type': 'application/json' };
}

/** The first top-level-looking `message_token` in a JSON text, digits exactly as sent. */
export function rawMessageToken(body: string): string | null {
  return /"message_token"\s*:\s*"?(\d{1,20})"?/.exec(body)?.[1] ?? null;
}

export interface ViberAnswer {
  status: number;
  statusMessage: string;
  body: Record<string, unknown>;
}

/** A Viber answer; null when it is not JSON with a numeric `status`. */
export function readViberAnswer(text: string): ViberAnswer | null {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (!body || typeof body.status !== 'number') return null;
    return {
      status: body.status,
      statusMessage: typeof body.status_message === 'string' ? body.status_message : '',
      body,
    };
  } catch {
    return null;
  }
}
