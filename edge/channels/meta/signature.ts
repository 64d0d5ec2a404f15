import { fromHex, toHex } from '../../../db/encoding';
import { hmacSha256, type MacVerdict, verifyHmacSha256 } from '../../security/hmac-sha256';

/**
 * Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of
 * the raw request body keyed with the app secret (Graph API, Webhooks, "Event Notifications:
 * Validating Payloads"). It must be checked on the bytes as received, before any parsing.
 */

/** The header Meta signs webhook payloads with. */
export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/** The header value Meta would send for `body` (tests and the local stand-in sign with it). */
export async function hubSignature(
  appSecret: string,
  body: Uint8Array<ArrayBuffer> | string,
): Promise<string> {
  return `sha256=${toHex(await hmacSha256(appSecret, body))}`;
}

/**
 * Checks `header` against the raw `body`: `missing` when there is no signature, `invalid` when
 * it is malformed or does not match (the shared HMAC check compares in constant time).
 */
export function verifyHubSignature(
  appSecret: string,
  body: Uint8Array<ArrayBuffer>,
  header: string | null,
): Promise<MacVerdict> {
  return verifyHmacSha256(appSecret, body, header, (value) => {
    const match = SIGNATURE.exec(value);
    return match ? fromHex(match[1]!) : null;
  });
}

/**
 * The signature check of a Meta channel's callbacks: the channel's `appSecret` credential over
 * the raw body. Without an app secret nothing can be verified, so nothing is accepted.
 */
export function verifyChannelWebhook(
  request: { headers: Headers; body: Uint8Array<ArrayBuffer> },
  channel: { credentials: Record<string, unknown> },
): Promise<'ok' | 'missing' | 'invalid'> {
  const appSecret = channel.credentials.appSecret;
  if (typeof appSecret !== 'string' || appSecret === '') return Promise.resolve('invalid');
  return verifyHubSignature(appSecret, request.body, request.headers.get(HUB_SIGNATURE_HEADER));
}
