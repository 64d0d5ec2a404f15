import { fromBase64, toBase64 } from '../../../db/encoding';

/**
 * Twilio signs every webhook it sends (status callbacks and incoming messages) with
 * `X-Twilio-Signature`: the base64 HMAC-SHA1, keyed with the account's auth token, of the full
 * URL Twilio called followed by every POST parameter, sorted by name, as name + value with no
 * separators (Twilio Docs, "Webhooks security": "Validating signatures from Twilio").
 */

/** The header Twilio signs webhooks with. */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

const encoder = new TextEncoder();

/** The string Twilio signs: the URL, then each parameter's name and value in name order. */
export function signedString(url: string, params: URLSearchParams): string {
  const pairs = [...params.entries()].sort(([a, av], [b, bv]) =>
    a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1,
  );
  return url + pairs.map(([name, value]) => name + value).join('');
}

function hmacKey(authToken: string, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(authToken),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    [usage],
  );
}

/** The header value Twilio would send (tests and the local stand-in sign with it). */
export async function twilioSignature(
  authToken: string,
  url: string,
  params: URLSearchParams,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(authToken, 'sign'),
    encoder.encode(signedString(url, params)),
  );
  return toBase64(new Uint8Array(mac));
}

const BASE64_SHA1 = /^[A-Za-z0-9+/]{27}=$/;

/**
 * Checks `header` for a form-encoded webhook to `url`: `missing` without a signature, `invalid`
 * when malformed or not matching. `crypto.subtle.verify` compares in constant time.
 */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: URLSearchParams,
  header: string | null,
): Promise<'ok' | 'missing' | 'invalid'> {
  if (!header) return 'missing';
  const signature = header.trim();
  if (!BASE64_SHA1.test(signature)) return 'invalid';
  const valid = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(authToken, 'verify'),
    fromBase64(signature),
    encoder.encode(signedString(url, params)),
  );
  return valid ? 'ok' : 'invalid';
}
