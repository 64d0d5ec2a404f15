import type { Database } from '../db/client';
import { constantTimeEqual, randomBytes, toBase64Url, toHex } from '../db/encoding';
import { apiKeys } from '../db/schema';
import type { Scope } from './context';

/**
 * API key format: `sf_<prefix>_<secret>`. The prefix (12 hex characters) is public and finds the
 * row; the secret (32 random bytes, base64url) is only ever stored as its SHA-256. Hex keeps the
 * prefix free of `_`, so the key splits unambiguously even though base64url secrets may hold `_`.
 */
const KEY_PATTERN = /^sf_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const PREFIX_BYTES = 6;
const SECRET_BYTES = 32;

export interface GeneratedApiKey {
  /** The full key, shown to its owner once. */
  plaintext: string;
  prefix: string;
  secretHash: string;
}

/** Hex SHA-256 of a key's secret: a fast hash suffices because secrets are 256-bit random. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  return toHex(new Uint8Array(digest));
}

/** Makes a new random key and the values to store for it. */
export async function generateApiKey(): Promise<GeneratedApiKey> {
  const prefix = toHex(randomBytes(PREFIX_BYTES));
  const secret = toBase64Url(randomBytes(SECRET_BYTES));
  return { plaintext: `sf_${prefix}_${secret}`, prefix, secretHash: await hashSecret(secret) };
}

/** Splits a presented key into prefix and secret, or returns null when it is malformed. */
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  if (!match) return null;
  return { prefix: match[1]!, secret: match[2]! };
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export async function secretMatches(secret: string, storedHash: string): Promise<boolean> {
  return constantTimeEqual(await hashSecret(secret), storedHash);
}

/** Creates a key row for a workspace and returns its id and the plaintext (shown once). */
export async function issueApiKey(
  db: Database,
  input: { workspaceId: string; name: string; scopes: readonly Scope[] },
): Promise<{ id: string; plaintext: string }> {
  const key = await generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      workspaceId: input.workspaceId,
      name: input.name,
      prefix: key.prefix,
      secretHash: key.secretHash,
      scopes: [...input.scopes],
    })
    .returning({ id: apiKeys.id });
  return { id: row!.id, plaintext: key.plaintext };
}
