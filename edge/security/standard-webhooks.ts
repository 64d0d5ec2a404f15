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

/** Base64 of a few bytes (a MAC, a secret): one `fromCharCode` call, not a string per byte. */
function bytesToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
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

/**
 * Imported HMAC keys by secret. Importing costs about as much as signing, and a batch signs
 * every send (and every partner webhook) with one channel's or endpoint's secret. A key is a
 * function of its secret alone, so it never goes stale (a new secret is a new entry); the
 * oldest entries go first past the bound, so the isolate keeps no more than a few keys' worth.
 */
const signingKeys = new Map<string, Promise<CryptoKey>>();
const SIGNING_KEYS_KEPT = 64;

function signingKey(secret: string): Promise<CryptoKey> {
  let key = signingKeys.get(secret);
  if (!key) {
    // Throws InvalidSigningSecretError before anything is cached.
    const bytes = signingKeyBytes(secret);
    key = crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    if (signingKeys.size >= SIGNING_KEYS_KEPT) {
      const oldest = signingKeys.keys().next().value;
      if (oldest !== undefined) signingKeys.delete(oldest);
    }
    signingKeys.set(secret, key);
    // A key that failed to import is not kept: the next send tries again.
    key.catch(() => signingKeys.delete(secret));
  }
  return key;
}

const utf8 = new TextEncoder();

/** The `v1,<base64>` signature of `body` for message `id` sent at `timestampSeconds`. */
export async function signStandardWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const key = await signingKey(secret);
  const content = utf8.encode(`${id}.${timestampSeconds}.${body}`);
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
