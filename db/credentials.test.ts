import { describe, expect, it } from 'vitest';
import { CredentialCipher, generateCredentialsKey, maskHint } from './credentials';
import { fromBase64, toBase64Url } from './encoding';

describe('CredentialCipher', () => {
  const secret = { username: 'mailer', password: 'hunter2-very-secret' };

  it('round-trips JSON through AES-GCM in the v1.<iv>.<ct> format', async () => {
    const cipher = new CredentialCipher(generateCredentialsKey());
    const text = await cipher.encrypt(secret);
    expect(text).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(fromBase64(text.split('.')[1]!)).toHaveLength(12);
    expect(text).not.toContain('hunter2');
    expect(await cipher.decrypt(text)).toEqual(secret);
  });

  it('uses a fresh IV per encryption', async () => {
    const cipher = new CredentialCipher(generateCredentialsKey());
    const [a, b] = await Promise.all([cipher.encrypt(secret), cipher.encrypt(secret)]);
    expect(a).not.toBe(b);
  });

  it('refuses to decrypt under another key', async () => {
    const text = await new CredentialCipher(generateCredentialsKey()).encrypt(secret);
    await expect(new CredentialCipher(generateCredentialsKey()).decrypt(text)).rejects.toThrow();
  });

  it('detects tampering with the ciphertext', async () => {
    const cipher = new CredentialCipher(generateCredentialsKey());
    const [version, iv, body] = (await cipher.encrypt(secret)).split('.');
    const bytes = fromBase64(body!);
    bytes[0] = bytes[0]! ^ 1;
    await expect(cipher.decrypt(`${version}.${iv}.${toBase64Url(bytes)}`)).rejects.toThrow();
  });

  it('rejects unknown formats and keys of the wrong size', async () => {
    const cipher = new CredentialCipher(generateCredentialsKey());
    await expect(cipher.decrypt('v2.aaaa.bbbb')).rejects.toThrow(/format/);
    expect(() => new CredentialCipher(toBase64Url(new Uint8Array(16)))).toThrow(/32 bytes/);
  });

  it('accepts a standard base64 key as well as base64url', async () => {
    const standard = btoa(String.fromCharCode(...new Uint8Array(32).fill(251)));
    expect(standard).toMatch(/[+/]/);
    const cipher = new CredentialCipher(standard);
    expect(await cipher.decrypt(await cipher.encrypt({ a: 1 }))).toEqual({ a: 1 });
  });
});

describe('maskHint', () => {
  it('shows the last four characters of the longest secret', () => {
    expect(maskHint({ username: 'mailer', password: 'correct-horse-abcd' })).toBe('••••abcd');
  });

  it('shows only the mask for short secrets', () => {
    expect(maskHint({ password: 'short' })).toBe('••••');
    expect(maskHint({})).toBe('••••');
  });
});
