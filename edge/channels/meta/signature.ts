import { fromHex, toHex } from '../../../db/encoding';

/**
 * Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of
 * the raw request body keyed with the app secret (Graph API, Webhooks, "Event Notifications:
 * Validating Payloads"). It must be checked on the bytes as received, before any parsing.
 */

/** The header Meta signs webhook payloads with. */
export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const encoder = new TextEncoder();

function hmacKey(appSecret: string, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(appSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    [usage],
  );
}

/** The header value Meta would send for `body` (tests and the local stand-in sign with it). */
export async function hubSignature(
  appSecret: string,
  body: Uint8Array<ArrayBuffer> | string,
): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(appSecret, 'sign'), bytes);
  return `sha256=${toHex(new Uint8Array(mac))}`;
}

/**
 * Checks `header` against the raw `body`: `missing` when there is no signature, `invalid` when
 * it is malformed or does not match. `crypto.subtle.verify` compares in constant time.
 */
export async function verifyHubSignature(
  appSecret: string,
  body: Uint8Array<ArrayBuffer>,
  header: string | null,
): Promise<'ok' | 'missing' | 'invalid'> {
  if (!header) return 'missing';
  const match = SIGNATURE.exec(header.trim());
  if (!match) return 'invalid';
  const valid = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(appSecret, 'verify'),
    fromHex(match[1]!),
    body,
  );
  return valid ? 'ok' : 'invalid';
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
