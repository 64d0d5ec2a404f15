import { expect, test } from 'vitest';
import { MAX_RETRY_AFTER_SECONDS, parseRetryAfter } from './retry-after';

const now = new Date('2030-01-02T10:00:00Z');

test('reads delay-seconds and HTTP dates', () => {
  expect(parseRetryAfter('30', now)).toBe(30);
  expect(parseRetryAfter(' 0 ', now)).toBe(0);
  expect(parseRetryAfter('Wed, 02 Jan 2030 10:01:30 GMT', now)).toBe(90);
});

test('ignores absent or unreadable values and never goes below zero or above a day', () => {
  expect(parseRetryAfter(null, now)).toBeUndefined();
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter('Wed, 02 Jan 2030 09:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter('9999999', now)).toBe(MAX_RETRY_AFTER_SECONDS);
});

test('a number that is not delay-seconds is no date: negative is no hint, a fraction rounds up', () => {
  // V8's Date.parse reads '-5' and '2.5' as dates in 2001: they must not become "retry now".
  expect(parseRetryAfter('-5', now)).toBeUndefined();
  expect(parseRetryAfter('2', now)).toBe(2);
  expect(parseRetryAfter('2.5', now)).toBe(3);
  expect(parseRetryAfter('0.2', now)).toBe(1);
  expect(parseRetryAfter('2026-09-11T20:00:00.000Z', new Date('2026-09-11T19:59:00Z'))).toBe(60);
});
