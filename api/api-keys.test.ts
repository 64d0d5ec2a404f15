import { describe, expect, it } from 'vitest';
import { fromBase64 } from '../db/encoding';
import { generateApiKey, hashSecret, parseApiKey, secretMatches } from './api-keys';

describe('API key format', () => {
  it('is sf_<12 hex>_<43 base64url> with 32 random bytes of secret', async () => {
    const key = await generateApiKey();
    expect(key.plaintext).toMatch(/^sf_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(key.plaintext);
    expect(parsed?.prefix).toBe(key.prefix);
    expect(fromBase64(parsed!.secret)).toHaveLength(32);
  });

  it('stores only the SHA-256 of the secret, never the secret itself', async () => {
    const key = await generateApiKey();
    const { secret } = parseApiKey(key.plaintext)!;
    expect(key.secretHash).toBe(await hashSecret(secret));
    expect(key.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(key.plaintext).not.toContain(key.secretHash);
  });

  it('parses secrets that contain underscores', () => {
    const secret = `${'_'.repeat(10)}${'a'.repeat(33)}`;
    expect(parseApiKey(`sf_0123456789ab_${secret}`)).toEqual({ prefix: '0123456789ab', secret });
  });

  it('rejects malformed keys', () => {
    for (const key of ['', 'sf_', 'sk_0123456789ab_x', `sf_0123456789AB_${'a'.repeat(43)}`]) {
      expect(parseApiKey(key)).toBeNull();
    }
  });

  it('matches only the right secret', async () => {
    const key = await generateApiKey();
    const { secret } = parseApiKey(key.plaintext)!;
    expect(await secretMatches(secret, key.secretHash)).toBe(true);
    expect(await secretMatches(`${secret.slice(0, -1)}x`, key.secretHash)).toBe(false);
  });

  it('makes a different key every time', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => generateApiKey()));
    expect(new Set(keys.map((key) => key.plaintext)).size).toBe(20);
    expect(new Set(keys.map((key) => key.prefix)).size).toBe(20);
  });
});
