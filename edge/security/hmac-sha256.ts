/**
 * HMAC-SHA256 over raw bytes with WebCrypto (the same code in workerd and Node), shared by every
 * provider whose callbacks are signed with it (Meta's X-Hub-Signature-256, LINE's
 * X-Line-Signature, Viber's X-Viber-Content-Signature). Each provider only decodes its header.
 */

const encoder = new TextEncoder();

function hmacKey(secret: string, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    [usage],
  );
}

function bytesOf(data: Uint8Array<ArrayBuffer> | string): Uint8Array<ArrayBuffer> {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** The MAC of `data` keyed with the UTF-8 bytes of `secret`. */
export async function hmacSha256(
  secret: string,
  data: Uint8Array<ArrayBuffer> | string,
): Promise<Uint8Array<ArrayBuffer>> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), bytesOf(data));
  return new Uint8Array(mac);
}

/** Whether a callback's signature holds (the callbacks contract's verdict). */
export type MacVerdict = 'ok' | 'missing' | 'invalid';

/**
 * Checks a signature header over the raw `body`: `missing` without a header, `invalid` when
 * `decode` cannot read it (malformed) or the MAC differs, or when there is no secret to check
 * with. `crypto.subtle.verify` compares in constant time.
 */
export async function verifyHmacSha256(
  secret: string | null | undefined,
  body: Uint8Array<ArrayBuffer>,
  header: string | null,
  decode: (header: string) => Uint8Array<ArrayBuffer> | null,
): Promise<MacVerdict> {
  if (!header) return 'missing';
  if (!secret) return 'invalid';
  let mac: Uint8Array<ArrayBuffer> | null;
  try {
    mac = decode(header.trim());
  } catch {
    mac = null;
  }
  // A SHA-256 MAC is 32 bytes; anything else is malformed.
  if (mac?.byteLength !== 32) return 'invalid';
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), mac, body);
  return valid ? 'ok' : 'invalid';
}
