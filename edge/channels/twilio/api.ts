import { toBase64 } from '../../../db/encoding';
import type { ProviderEndpoints } from '../types';

/**
 * Where Twilio's REST API lives and how it is called: `https://api.twilio.com/2010-04-01/
 * Accounts/{AccountSid}/…`, form-encoded bodies, HTTP Basic auth with the Account SID as user
 * and the auth token as password (Twilio Docs, REST API, "Authentication"; Messaging, "Message
 * resource"). `TWILIO_API_URL` may point at a stand-in.
 */

/** The real Twilio REST host. */
export const DEFAULT_TWILIO_API_URL = 'https://api.twilio.com';

/** Env name of the Twilio endpoint setting. */
export const TWILIO_API_URL = 'TWILIO_API_URL';

/** Twilio's Content API host (WhatsApp templates), and its env name. */
export const DEFAULT_TWILIO_CONTENT_API_URL = 'https://content.twilio.com';
export const TWILIO_CONTENT_API_URL = 'TWILIO_CONTENT_API_URL';

/** A Content API path (`v1/ContentAndApprovals`) for these endpoints. */
export function twilioContentUrl(endpoints: ProviderEndpoints | undefined, path: string): string {
  const base = (endpoints?.[TWILIO_CONTENT_API_URL] ?? DEFAULT_TWILIO_CONTENT_API_URL).replace(
    /\/+$/,
    '',
  );
  return `${base}/${path}`;
}

/** Who answers, in failure details. */
export const TWILIO_API = 'Twilio';

/** The URL of an account resource, e.g. `Messages.json`, or the account itself with no path. */
export function twilioAccountUrl(
  endpoints: ProviderEndpoints | undefined,
  accountSid: string,
  path?: string,
): string {
  const base = (endpoints?.[TWILIO_API_URL] ?? DEFAULT_TWILIO_API_URL).replace(/\/+$/, '');
  const account = `${base}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}`;
  return path ? `${account}/${path}` : `${account}.json`;
}

/** `Authorization: Basic base64(AccountSid:AuthToken)`. */
export function twilioAuthorization(accountSid: string, authToken: string): string {
  return `Basic ${toBase64(new TextEncoder().encode(`${accountSid}:${authToken}`))}`;
}
