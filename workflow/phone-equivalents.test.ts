import { describe, expect, it } from 'vitest';
import { canonicalPhone, phoneEquivalents } from './phone-equivalents';

describe('phoneEquivalents', () => {
  it('pairs a Mexican number with and without the old mobile 1 after +52, the number first', () => {
    expect(phoneEquivalents('+5215512345678')).toEqual(['+5215512345678', '+525512345678']);
    expect(phoneEquivalents('+525512345678')).toEqual(['+525512345678', '+5215512345678']);
    expect(phoneEquivalents('+523312345678')).toEqual(['+523312345678', '+5213312345678']);
  });

  it('pairs a Brazilian mobile with and without its ninth digit, the number first', () => {
    expect(phoneEquivalents('+556187654321')).toEqual(['+556187654321', '+5561987654321']);
    expect(phoneEquivalents('+5561987654321')).toEqual(['+5561987654321', '+556187654321']);
    // A former eight-digit mobile starting 9 (9876-5432 became 99876-5432).
    expect(phoneEquivalents('+551198765432')).toEqual(['+551198765432', '+5511998765432']);
    expect(phoneEquivalents('+5511998765432')).toEqual(['+5511998765432', '+551198765432']);
    // The lowest former mobile range.
    expect(phoneEquivalents('+559261234567')).toEqual(['+559261234567', '+5592961234567']);
  });

  it('leaves every other number alone', () => {
    for (const phone of [
      // Brazilian landlines: eight digits starting 2–5 never had a ninth digit.
      '+551123456789',
      '+556132345678',
      // A nine-digit Brazilian number whose last eight start 2–5 was never eight digits long.
      '+5511951234567',
      // No Brazilian area code has a 0.
      '+551087654321',
      '+550187654321',
      // Mexican national numbers are 10 digits starting 2–9.
      '+5211234567890',
      '+52155123456789',
      '+52551234567',
      // Other countries, including ones that start like Mexico or Brazil.
      '+14155550100',
      '+447700900123',
      '+5491112345678',
      '+5025512345',
      // Not E.164 at all.
      '5215512345678',
      'US.13491208655302741918',
      'ada@example.com',
      '',
    ]) {
      expect(phoneEquivalents(phone)).toEqual([phone]);
    }
  });

  it('is symmetric: every equivalent of a number lists the number', () => {
    for (const phone of ['+5215512345678', '+525512345678', '+556187654321', '+5561987654321']) {
      for (const other of phoneEquivalents(phone)) {
        expect(phoneEquivalents(other)).toContain(phone);
      }
    }
  });
});

describe('canonicalPhone', () => {
  it("is today's E.164 form: +52 and 10 digits, a Brazilian mobile with its ninth digit", () => {
    expect(canonicalPhone('+5215512345678')).toBe('+525512345678');
    expect(canonicalPhone('+525512345678')).toBe('+525512345678');
    expect(canonicalPhone('+556187654321')).toBe('+5561987654321');
    expect(canonicalPhone('+5561987654321')).toBe('+5561987654321');
    expect(canonicalPhone('+551198765432')).toBe('+5511998765432');
  });

  it('is the same for all equivalents of a number, and the number itself elsewhere', () => {
    for (const phone of ['+5215512345678', '+556187654321', '+5511998765432']) {
      const forms = phoneEquivalents(phone).map(canonicalPhone);
      expect(new Set(forms).size).toBe(1);
      expect(phoneEquivalents(phone)).toContain(forms[0]);
    }
    for (const other of ['+551123456789', '+14155550100', 'US.13491208655302741918', 'x']) {
      expect(canonicalPhone(other)).toBe(other);
    }
  });
});
