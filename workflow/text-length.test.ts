import { describe, expect, it } from 'vitest';
import { MAX_CHARACTER_UNITS, textLength } from './text-length';

describe('textLength', () => {
  it('counts ASCII characters one by one', () => {
    expect(textLength('Hello, world!\n')).toBe(14);
    expect(textLength('')).toBe(0);
  });

  it('counts an emoji as one character', () => {
    expect(textLength('👍')).toBe(1);
    expect('👍'.length).toBe(2);
  });

  it('counts emojis with skin tones, flags and joiners as one character', () => {
    expect(textLength('👍🏽')).toBe(1);
    expect(textLength('🇫🇷')).toBe(1);
    expect(textLength('👨‍👩‍👧‍👦')).toBe(1);
  });

  it('counts a letter with combining accents as one character', () => {
    expect(textLength('e\u0301')).toBe(1);
    expect(textLength('Café!')).toBe(5);
  });

  it('counts CRLF as one character', () => {
    expect(textLength('a\r\nb')).toBe(3);
  });

  it('counts text mixing emojis and letters', () => {
    expect(textLength('Hi 👋🏼 Ada')).toBe(8);
  });

  it('counts the longest emoji sequences (skin tones, families, subdivision flags) as one', () => {
    for (const emoji of ['🧑🏻‍🧑🏼‍🧒🏽‍🧒🏾', '👩🏻‍❤️‍💋‍👩🏼', '🏴󠁧󠁢󠁳󠁣󠁴󠁿']) {
      expect(emoji.length).toBeLessThanOrEqual(MAX_CHARACTER_UNITS);
      expect(textLength(emoji)).toBe(1);
    }
  });

  it('does not let combining marks pile megabytes into one character', () => {
    // One grapheme cluster of 300,001 UTF-16 units: a "1-character" text of 600 kB.
    const zalgo = `a${'\u0301'.repeat(300_000)}`;
    expect(textLength(zalgo)).toBe(Math.ceil(zalgo.length / MAX_CHARACTER_UNITS));
    expect(textLength(`b${'\u0301'.repeat(MAX_CHARACTER_UNITS)}`)).toBe(2);
    expect(textLength(`b${'\u0301'.repeat(MAX_CHARACTER_UNITS - 1)}`)).toBe(1);
  });
});
