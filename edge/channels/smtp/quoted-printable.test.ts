import { expect, test } from 'vitest';
import { encodeQuotedPrintable } from './quoted-printable';

test('keeps printable ASCII and encodes `=`, control and non-ASCII bytes', () => {
  expect(encodeQuotedPrintable('a=b')).toBe('a=3Db');
  expect(encodeQuotedPrintable('Zoë')).toBe('Zo=C3=AB');
  expect(encodeQuotedPrintable('tab\there')).toBe('tab\there');
});

test('encodes whitespace at the end of a line, where transports would drop it', () => {
  expect(encodeQuotedPrintable('end  \nnext\t')).toBe('end =20\r\nnext=09');
});

test('normalises every line ending to CRLF', () => {
  expect(encodeQuotedPrintable('a\nb\r\nc\rd')).toBe('a\r\nb\r\nc\r\nd');
});

test('breaks long lines with soft line breaks of at most 76 characters', () => {
  const encoded = encodeQuotedPrintable(`${'x'.repeat(100)}${'é'.repeat(40)}`);
  const lines = encoded.split('\r\n');
  expect(lines.length).toBeGreaterThan(2);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(76);
  for (const line of lines.slice(0, -1)) expect(line.endsWith('=')).toBe(true);
  // An escape is never cut in half.
  expect(encoded).not.toMatch(/=[0-9A-F]?=\r\n/);
});
