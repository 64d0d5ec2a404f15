import { describe, expect, it } from 'vitest';
import { textLength } from './text-length';

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
});
