import type { ProviderEndpoints } from '../types';

/**
 * Where Meta's Graph API lives. WhatsApp Cloud API, Messenger and Instagram messaging are all
 * Graph endpoints (`https://graph.facebook.com/<version>/…`, WhatsApp Cloud API, "Get started").
 * The Worker's env may point `GRAPH_API_URL` at a stand-in and pin `GRAPH_API_VERSION`.
 */

/** The real Graph host. */
export const DEFAULT_GRAPH_API_URL = 'https://graph.facebook.com';

/**
 * The Graph API version we call (the version the WhatsApp Cloud API reference shows in its
 * request examples); a version stays callable for about two years after the next one ships.
 */
export const DEFAULT_GRAPH_API_VERSION = 'v26.0';

/** Env names of the Graph endpoint settings. */
export const GRAPH_API_URL = 'GRAPH_API_URL';
export const GRAPH_API_VERSION = 'GRAPH_API_VERSION';

/** The URL of a Graph path (`<phone-number-id>/messages`) for these endpoints. */
export function graphUrl(endpoints: ProviderEndpoints | undefined, path: string): string {
  const base = (endpoints?.[GRAPH_API_URL] ?? DEFAULT_GRAPH_API_URL).replace(/\/+$/, '');
  const version = endpoints?.[GRAPH_API_VERSION] ?? DEFAULT_GRAPH_API_VERSION;
  return `${base}/${version}/${path}`;
}

/** The headers of a Graph call authenticated with a bearer access token. */
export function graphHeaders(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
}
