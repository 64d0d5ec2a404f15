/**
 * Signing per the Standard Webhooks specification (standardwebhooks.com, "Signature scheme"):
 * the signed content is `${webhook-id}.${webhook-timestamp}.${body}`, the MAC is HMAC-SHA256
 * keyed with the base64-decoded secret (after its `whsec_` prefix), and the header carries
 * `v1,<base64 MAC>`. Receivers verify it with any Standard Webhooks library.
 */

/** The secret prefix the specification uses for symmetric signing keys. */
export const SECRET_PREFIX = 'whsec_';

/** The three headers that carry a Standard Webhooks signature. */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Raised when a signing secret is not `whsec_` followed by base64. */
export class InvalidSigningSecretError extends Error {
  constructor() {
    super('The signing secret must be "whsec_" followed by base64-encoded bytes');
    this.name = 'InvalidSigningSecretError';
  }
}

function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The key bytes of a `whsec_<base64>` secret (the bare base64 is accepted too, as the
 * reference libraries do); throws InvalidSigningSecretError otherwise.
 */
export function signingKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  try {
    const bytes = base64ToBytes(encoded);
    if (bytes.length === 0) throw new InvalidSigningSecretError();
    return bytes;
  } catch {
    throw new InvalidSigningSecretError();
  }
}

/** A fresh random `whsec_` secret (24 bytes, as the reference libraries generate). */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(24)));
}

/** The `v1,<base64>` signature of `body` for message `id` sent at `timestampSeconds`. */
export async function signStandardWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    signingKeyBytes(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const content = new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, content));
  return `v1,${bytesToBase64(mac)}`;
}

/** The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers for one message. */
export async function standardWebhookHeaders(
  secret: string,
  id: string,
  sentAt: Date,
  body: string,
): Promise<StandardWebhookHeaders> {
  const timestamp = Math.floor(sentAt.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signStandardWebhook(secret, id, timestamp, body),
  };
}
