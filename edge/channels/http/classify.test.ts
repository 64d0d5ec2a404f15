import { expect, test } from 'vitest';
import { classifyFetchError, classifyHttpStatus, withoutUrlPaths } from './classify';

test('a network error that names the URL it called keeps only its origin (a token in the path stays out)', () => {
  const token = '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11';
  const error = new TypeError(
    `Network connection lost while fetching https://api.telegram.org/bot${token}/sendMessage?x=1`,
  );
  const outcome = classifyFetchError(error, 'Telegram Bot API', 10_000);
  expect(outcome).toMatchObject({ status: 'failed', reason: 'network', retryable: true });
  const detail = outcome.status === 'failed' ? outcome.detail : '';
  expect(detail).not.toContain(token);
  expect(detail).toBe(
    'Telegram Bot API could not be reached: Network connection lost while fetching https://api.telegram.org/…',
  );
});

test('text without URLs, and bare origins, are left as they are', () => {
  expect(withoutUrlPaths('fetch failed')).toBe('fetch failed');
  expect(withoutUrlPaths('connect ECONNREFUSED https://example.com')).toBe(
    'connect ECONNREFUSED https://example.com',
  );
  expect(withoutUrlPaths('see http://h:8080/a/b and https://x.io?q=secret')).toBe(
    'see http://h:8080/… and https://x.io/…',
  );
});

test('413 Content Too Large is the message being too large (invalid content), not a passing refusal', () => {
  const outcome = classifyHttpStatus(
    {
      status: 413,
      headers: new Headers(),
      body: '<html><title>413 Request Entity Too Large</title>',
    },
    'Gmail API',
    new Date(),
  );
  expect(outcome).toMatchObject({ status: 'failed', reason: 'content_invalid', retryable: false });
});
