import { describe, expect, test } from 'vitest';
import { fromHex, toHex } from '../../db/encoding';
import { hmacSha256, verifyHmacSha256 } from './hmac-sha256';

// RFC 4231, section 4.3 (test case 2).
const KEY = 'Jefe';
const DATA = 'what do ya want for nothing?';
const MAC = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
const body = new TextEncoder().encode(DATA);
const hex = (header: string) => (/^[0-9a-f]{64}$/.test(header) ? fromHex(header) : null);

describe('HMAC-SHA256', () => {
  test('matches the RFC 4231 test vector', async () => {
    expect(toHex(await hmacSha256(KEY, DATA))).toBe(MAC);
  });

  test('verifies a matching header; missing, malformed, wrong-length, wrong or secretless ones are refused', async () => {
    expect(await verifyHmacSha256(KEY, body, MAC, hex)).toBe('ok');
    expect(await verifyHmacSha256(KEY, body, null, hex)).toBe('missing');
    expect(await verifyHmacSha256(KEY, body, 'xyz', hex)).toBe('invalid');
    expect(
      await verifyHmacSha256(KEY, body, MAC.slice(0, 62), () => fromHex(MAC.slice(0, 62))),
    ).toBe('invalid');
    expect(await verifyHmacSha256('Jeff', body, MAC, hex)).toBe('invalid');
    expect(await verifyHmacSha256('', body, MAC, hex)).toBe('invalid');
    expect(
      await verifyHmacSha256(KEY, body, MAC, () => {
        throw new Error('bad');
      }),
    ).toBe('invalid');
  });
});
