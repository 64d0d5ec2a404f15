import { constantTimeEqual, fromBase64, toBase64, toHex } from '../../../db/encoding';

/**
 * Twilio signs every webhook it sends (status callbacks and incoming messages) with
 * `X-Twilio-Signature`: the base64 HMAC-SHA1, keyed with the account's auth token, of the full
 * URL Twilio called followed by every POST parameter, sorted by name, as name + value with no
 * separators (Twilio Docs, "Webhooks security": "Validating signatures from Twilio").
 *
 * Two rules of that page that the reference validator (twilio-node, `webhooks.ts`:
 * `validateRequest`, `validateRequestWithBody`) implements and we follow:
 *
 * - the URL may have been signed with or without its port (`https://host/…` and
 *   `https://host:443/…`), "since signature generation on the back end is inconsistent": both
 *   forms are checked;
 * - an `application/json` webhook is signed over the URL alone, which then carries a
 *   `bodySHA256` query parameter, the hex SHA-256 of the raw body, to be compared with the body
 *   received (Twilio Docs, "Webhooks security"; Error 57012 "Signature invalid").
 */

/** The header Twilio signs webhooks with. */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/** The query parameter carrying the body's hash when Twilio posts JSON. */
export const BODY_SHA256_PARAM = 'bodySHA256';

const encoder = new TextEncoder();

/** The string Twilio signs: the URL, then each parameter's name and value in name order. */
export function signedString(url: string, params: URLSearchParams): string {
  const pairs = [...params.entries()].sort(([a, av], [b, bv]) =>
    a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1,
  );
  return url + pairs.map(([name, value]) => name + value).join('');
}

/**
 * The forms of `url` Twilio may have signed: as called, without its port, and with its port
 * (the scheme's default, 443 or 80, written out when the URL has none), as twilio-node's
 * `removePort`/`addPort` build them.
 */
export function signedUrlForms(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const withoutPort = new URL(parsed);
  withoutPort.port = '';
  let withPort = parsed.toString();
  if (!parsed.port) {
    const credentials = parsed.username
      ? `${parsed.username}${parsed.password ? `:${parsed.password}` : ''}@`
      : '';
    const port = parsed.protocol === 'https:' ? ':443' : ':80';
    withPort = `${parsed.protocol}//${credentials}${parsed.host}${port}${parsed.pathname}${parsed.search}${parsed.hash}`;
  }
  return [...new Set([url, withoutPort.toString(), withPort])];
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
 * Checks `header` for a form-encoded webhook to `url` (in any of its signed forms): `missing`
 * without a signature, `invalid` when malformed or not matching. `crypto.subtle.verify`
 * compares in constant time.
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
  const key = await hmacKey(authToken, 'verify');
  const mac = fromBase64(signature);
  for (const form of signedUrlForms(url)) {
    if (await crypto.subtle.verify('HMAC', key, mac, encoder.encode(signedString(form, params)))) {
      return 'ok';
    }
  }
  return 'invalid';
}

async function sha256Hex(body: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', body)));
}

/**
 * Checks a webhook as received: with `bodySHA256` in its URL, the signature over the URL alone
 * and the body's hash against that parameter; otherwise the signature over the URL and the
 * body's form parameters.
 */
export async function verifyTwilioRequest(
  authToken: string,
  url: string,
  body: Uint8Array<ArrayBuffer>,
  header: string | null,
): Promise<'ok' | 'missing' | 'invalid'> {
  let bodyHash: string | null = null;
  try {
    bodyHash = new URL(url).searchParams.get(BODY_SHA256_PARAM);
  } catch {
    bodyHash = null;
  }
  if (bodyHash === null) {
    const params = new URLSearchParams(new TextDecoder().decode(body));
    return verifyTwilioSignature(authToken, url, params, header);
  }
  const verdict = await verifyTwilioSignature(authToken, url, new URLSearchParams(), header);
  if (verdict !== 'ok') return verdict;
  return constantTimeEqual(bodyHash, await sha256Hex(body)) ? 'ok' : 'invalid';
}
