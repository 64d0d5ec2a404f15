import type { ProviderEndpoints } from '../types';

/**
 * 360dialog hosts the WhatsApp Cloud API behind its own host: `POST https://waba-v2.360dialog.io/
 * messages` with the Cloud API's message body, authorised by the channel's API key in the
 * `D360-API-KEY` header (360dialog docs, "The Basics": Base URL, Authorization, Sending
 * Messages). `DIALOG360_API_URL` may point at a stand-in.
 */

/** The real 360dialog Cloud API host. */
export const DEFAULT_DIALOG360_API_URL = 'https://waba-v2.360dialog.io';

/** Env name of the 360dialog endpoint setting. */
export const DIALOG360_API_URL = 'DIALOG360_API_URL';

/** Who answers, in failure details. */
export const DIALOG360_API = '360dialog';

/** The header 360dialog authenticates requests with. */
export const D360_API_KEY_HEADER = 'D360-API-KEY';

/** The URL of a 360dialog path (`messages`, `v1/configs/webhook`). */
export function dialog360Url(endpoints: ProviderEndpoints | undefined, path: string): string {
  const base = (endpoints?.[DIALOG360_API_URL] ?? DEFAULT_DIALOG360_API_URL).replace(/\/+$/, '');
  return `${base}/${path}`;
}

/** The headers of a 360dialog call with the channel's API key. */
export function dialog360Headers(apiKey: string): Record<string, string> {
  return { [D360_API_KEY_HEADER]: apiKey, 'content-type': 'application/json' };
}
