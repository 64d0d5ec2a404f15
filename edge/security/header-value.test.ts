import { expect, test } from 'vitest';
import {
  assertHeaderValue,
  HeaderInjectionError,
  isSafeHeaderValue,
  stripLineBreaks,
} from './header-value';

test('accepts ordinary and non-ASCII header values', () => {
  expect(isSafeHeaderValue('Hello Zoë 👋')).toBe(true);
  expect(assertHeaderValue('Subject', 'Hello')).toBe('Hello');
});

test('rejects a value carrying CR or LF', () => {
  for (const value of ['a\r\nBcc: x@example.com', 'a\nb', 'a\rb']) {
    expect(isSafeHeaderValue(value)).toBe(false);
    expect(() => assertHeaderValue('Subject', value)).toThrow(HeaderInjectionError);
  }
});

test('strips line breaks to single spaces', () => {
  expect(stripLineBreaks('Hi\r\nBcc: x@example.com')).toBe('Hi Bcc: x@example.com');
  expect(stripLineBreaks('a\n\n\rb')).toBe('a b');
});
