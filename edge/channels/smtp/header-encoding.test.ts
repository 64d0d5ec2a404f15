import { expect, test } from 'vitest';
import { HeaderInjectionError } from '../../security/header-value';
import {
  encodedWords,
  encodePhrase,
  encodeUnstructured,
  formatHeader,
  formatMailbox,
} from './header-encoding';

function decodeWord(word: string): string {
  const base64 = word.slice('=?UTF-8?B?'.length, -2);
  return new TextDecoder('utf-8', { fatal: true }).decode(
    Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)),
  );
}

test('plain ASCII stays readable; non-ASCII and `=?` become encoded-words', () => {
  expect(encodeUnstructured('Your order A-17')).toBe('Your order A-17');
  expect(encodeUnstructured('Zoë')).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
  expect(encodeUnstructured('=?not a word?=')).toMatch(/^=\?UTF-8\?B\?/);
});

test('a word longer than a folded line can hold becomes encoded-words (RFC 5322 §2.1.1)', () => {
  const url = `https://example.com/${'a'.repeat(100)}`;
  expect(encodeUnstructured(`Open ${'x'.repeat(77)}`)).toBe(`Open ${'x'.repeat(77)}`);
  expect(encodeUnstructured(`Open ${url}`)).toMatch(/^=\?UTF-8\?B\?/);
  expect(encodePhrase(`Team${'b'.repeat(100)}`)).toMatch(/^=\?UTF-8\?B\?/);
  for (const line of formatHeader('Subject', encodeUnstructured(`Open ${url}`)).split('\r\n')) {
    expect(line.length).toBeLessThanOrEqual(78);
  }
});

test('encoded-words are at most 75 characters and never split a character', () => {
  const text = `${'🎉'.repeat(30)}${'é'.repeat(30)}`;
  const words = encodedWords(text);
  expect(words.length).toBeGreaterThan(3);
  for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
  expect(words.map(decodeWord).join('')).toBe(text);
});

test('display names are atoms, quoted strings or encoded-words', () => {
  expect(encodePhrase('Sendflow Team')).toBe('Sendflow Team');
  expect(encodePhrase('Team, Ops "A" \\ B')).toBe('"Team, Ops \\"A\\" \\\\ B"');
  expect(encodePhrase('Zoë')).toMatch(/^=\?UTF-8\?B\?/);
  expect(formatMailbox('a@example.com', '  ')).toBe('a@example.com');
  expect(formatMailbox('a@example.com', 'Ada')).toBe('Ada <a@example.com>');
});

test('folds long headers at spaces and refuses line breaks', () => {
  const value = Array.from(
    { length: 10 },
    (_, index) => `<message-${index}@mail.example.com>`,
  ).join(' ');
  const header = formatHeader('References', value);
  const lines = header.split('\r\n');
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
  for (const line of lines.slice(1)) expect(line.startsWith(' ')).toBe(true);
  expect(header.replace(/\r\n/g, '')).toBe(`References: ${value}`);
  expect(() => formatHeader('Subject', 'a\r\nb')).toThrow(HeaderInjectionError);
});

test('a line holding an encoded-word stays within 76 characters (RFC 2047 §2)', () => {
  // `To: ` (4) + the name's one encoded-word (16) + ` ` + `<address>` (57) would be 78.
  const address = `${'a'.repeat(55 - '@example.com'.length)}@example.com`;
  const name = 'Ω';
  expect(encodePhrase(name)).toHaveLength(16);
  const header = formatHeader('To', formatMailbox(address, name));
  for (const line of header.split('\r\n')) {
    if (line.includes('=?')) expect(line.length).toBeLessThanOrEqual(76);
  }
  expect(header.replace(/\r\n/g, '')).toBe(`To: ${formatMailbox(address, name)}`);
});
