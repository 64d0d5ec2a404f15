import { fromBase64, randomBytes, toBase64Url } from './encoding';

/** Version tag of the ciphertext format, so that the algorithm or key can change later. */
const FORMAT_VERSION = 'v1';
const KEY_BYTES = 32;
/** 96-bit IVs are what AES-GCM is specified for (NIST SP 800-38D §8.2). */
const IV_BYTES = 12;
const HINT_VISIBLE_CHARS = 4;
const HINT_MASK = '••••';

/** A new random AES-256 key, base64-encoded, for `CREDENTIALS_KEY` (the start script uses it). */
export function generateCredentialsKey(): string {
  return toBase64Url(randomBytes(KEY_BYTES));
}

/**
 * Encrypts channel credentials at rest with AES-256-GCM (WebCrypto, so it runs in Node and
 * workerd). Ciphertexts look like `v1.<iv>.<ciphertext+tag>`, both parts base64url.
 */
export class CredentialCipher {
  readonly #key: Promise<CryptoKey>;

  /** `secret` is a base64 (or base64url) encoding of exactly 32 bytes. */
  constructor(secret: string) {
    const raw = fromBase64(secret);
    if (raw.length !== KEY_BYTES) {
      throw new Error(`The credentials key must be ${KEY_BYTES} bytes, base64-encoded`);
    }
    this.#key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  }

  /** Encrypts a JSON-serialisable value with a fresh random IV. */
  async encrypt(value: unknown): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    const plaintext = new TextEncoder().encode(JSON.stringify(value));
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      await this.#key,
      plaintext,
    );
    return `${FORMAT_VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
  }

  /** Decrypts what `encrypt` produced; throws when the text was altered or the key differs. */
  async decrypt<T = unknown>(text: string): Promise<T> {
    const [version, iv, ciphertext] = text.split('.');
    if (version !== FORMAT_VERSION || !iv || !ciphertext) {
      throw new Error('Unrecognised credentials ciphertext format');
    }
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64(iv) },
      await this.#key,
      fromBase64(ciphertext),
    );
    return JSON.parse(new TextDecoder().decode(plaintext)) as T;
  }
}

/**
 * A masked hint that lets a person recognise which credentials are stored without revealing
 * them: the last characters of the longest secret value, e.g. `••••abcd`.
 */
export function maskHint(credentials: Record<string, unknown>): string {
  const values = Object.values(credentials).filter(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
  const longest = values.reduce((best, value) => (value.length > best.length ? value : best), '');
  // Short secrets would be mostly revealed by their tail, so they get only the mask.
  if (longest.length < HINT_VISIBLE_CHARS * 3) return HINT_MASK;
  return HINT_MASK + longest.slice(-HINT_VISIBLE_CHARS);
}
