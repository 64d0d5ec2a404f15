import { expect, test } from 'vitest';
import { isMessageId, MAX_REFERENCES, messageIdFor, threadHeaders } from './thread-headers';

const DELIVERY = '0b7f3c8e-2f55-4d8e-9d0a-6c1f6e1c2a10';

test('derives a stable Message-ID from the delivery id and the domain', () => {
  expect(messageIdFor(DELIVERY, 'Mail.Example.com')).toBe(`<${DELIVERY}@mail.example.com>`);
  expect(messageIdFor(DELIVERY, 'mail.example.com')).toBe(
    messageIdFor(DELIVERY, 'mail.example.com.'),
  );
  expect(isMessageId(messageIdFor(DELIVERY, 'example.com'))).toBe(true);
});

test('refuses ids and domains that would break the header', () => {
  expect(() => messageIdFor(DELIVERY, 'example.com>\r\nBcc: x@y')).toThrow(TypeError);
  expect(() => messageIdFor('a b', 'example.com')).toThrow(TypeError);
  expect(() => messageIdFor(DELIVERY, '')).toThrow(TypeError);
});

test('the first message of a thread has no In-Reply-To and no References', () => {
  expect(threadHeaders([], '<m1@x>')).toEqual({ messageId: '<m1@x>', references: [] });
});

test('later messages reply to the previous one and reference the whole chain', () => {
  expect(threadHeaders(['<m1@x>'], '<m2@x>')).toEqual({
    messageId: '<m2@x>',
    inReplyTo: '<m1@x>',
    references: ['<m1@x>'],
  });
  expect(threadHeaders(['<m1@x>', '<m2@x>'], '<m3@x>')).toEqual({
    messageId: '<m3@x>',
    inReplyTo: '<m2@x>',
    references: ['<m1@x>', '<m2@x>'],
  });
});

test('a retry after the thread recorded the message carries the same headers as the first try', () => {
  const first = threadHeaders(['<m1@x>'], '<m2@x>');
  expect(threadHeaders(['<m1@x>', '<m2@x>'], '<m2@x>')).toEqual(first);
});

test('long threads keep the first message and the most recent ones', () => {
  const ids = Array.from({ length: 50 }, (_, index) => `<m${index}@x>`);
  const headers = threadHeaders(ids, '<new@x>');
  expect(headers.references).toHaveLength(MAX_REFERENCES);
  expect(headers.references[0]).toBe('<m0@x>');
  expect(headers.references.at(-1)).toBe('<m49@x>');
  expect(headers.references[1]).toBe(`<m${50 - MAX_REFERENCES + 1}@x>`);
  expect(headers.inReplyTo).toBe('<m49@x>');
});

test('drops malformed ids instead of writing them into a header', () => {
  const headers = threadHeaders(['<m1@x>', 'junk', '<m2@x>\r\nBcc: a@b'], '<m3@x>');
  expect(headers.references).toEqual(['<m1@x>']);
  expect(headers.inReplyTo).toBe('<m1@x>');
});
