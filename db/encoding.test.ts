import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fromBase64, randomBytes, toBase64Url, toHex } from './encoding';

describe('encodings', () => {
  it('round-trips bytes through unpadded base64url', () => {
    const bytes = new Uint8Array([0, 251, 255, 62, 63, 128]);
    const text = toBase64Url(bytes);
    expect(text).toBe('APv_Pj-A');
    expect(fromBase64(text)).toEqual(bytes);
  });

  it('decodes standard padded base64 too', () => {
    expect(fromBase64('+/8=')).toEqual(new Uint8Array([251, 255]));
  });

  it('writes lowercase hex', () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('000fff');
  });

  it('draws the requested number of random bytes', () => {
    expect(randomBytes(32)).toHaveLength(32);
    expect(toHex(randomBytes(16))).not.toBe(toHex(randomBytes(16)));
  });

  it('compares strings for equality regardless of where they differ', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
