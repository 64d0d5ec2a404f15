import { describe, expect, test } from 'vitest';
import { smsSegments } from './segments';

describe('SMS segments', () => {
  test('a GSM-7 text fits 160 characters in one segment and 153 per segment beyond', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3 });
  });

  test('extension characters such as € and { take two septets and are never split', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2 });
    // 152 septets, then an escape pair that would straddle the 153rd: it moves to segment 2.
    const straddling = `${'a'.repeat(152)}{${'b'.repeat(10)}`;
    expect(smsSegments(straddling).segments).toBe(2);
    expect(smsSegments(`${'a'.repeat(152)}{${'b'.repeat(152)}`).segments).toBe(3);
  });

  test('one character outside the GSM alphabet makes the whole text UCS-2: 70, then 67 per segment', () => {
    expect(smsSegments(`${'a'.repeat(69)}ł`)).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments(`${'a'.repeat(70)}ł`)).toEqual({ encoding: 'UCS-2', segments: 2 });
    expect(smsSegments('ł'.repeat(134))).toEqual({ encoding: 'UCS-2', segments: 2 });
    expect(smsSegments('ł'.repeat(135))).toEqual({ encoding: 'UCS-2', segments: 3 });
  });

  test('an emoji counts as two UCS-2 units and its surrogate pair is not split', () => {
    expect(smsSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments('😀'.repeat(36)).segments).toBe(2);
    // 66 units then a pair: 68 would overflow 67, so the emoji starts segment 2.
    expect(smsSegments(`${'ł'.repeat(66)}😀${'ł'.repeat(5)}`).segments).toBe(2);
  });

  test('accented letters of the GSM alphabet (é, ü, Ñ) keep GSM-7', () => {
    expect(smsSegments('Héllo Ñoño, über').encoding).toBe('GSM-7');
    expect(smsSegments('Olá').encoding).toBe('UCS-2');
  });
});
