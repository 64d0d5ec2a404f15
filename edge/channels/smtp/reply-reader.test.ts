import { expect, test } from 'vitest';
import { dotStuff } from './client';
import { SmtpConnectionError } from './errors';
import { SmtpReplyReader } from './reply-reader';

function readerOf(...chunks: string[]): SmtpReplyReader {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new SmtpReplyReader(stream.getReader());
}

test('joins a multi-line reply split across reads', async () => {
  const replies = readerOf('250-smtp.example.com\r\n250-AUTH PLAIN LOGIN\r\n25', '0 STARTTLS\r\n');
  expect(await replies.read('ehlo')).toEqual({
    code: 250,
    lines: ['smtp.example.com', 'AUTH PLAIN LOGIN', 'STARTTLS'],
  });
});

test('reads consecutive replies and their enhanced status codes', async () => {
  const replies = readerOf('220 ready\r\n535 5.7.8 Authentication credentials invalid\n');
  expect(await replies.read('greeting')).toEqual({ code: 220, lines: ['ready'] });
  expect(await replies.read('auth')).toEqual({
    code: 535,
    enhancedStatus: '5.7.8',
    lines: ['5.7.8 Authentication credentials invalid'],
  });
});

test('a connection that closes before a reply is a connection error', async () => {
  const replies = readerOf('250-partial\r\n');
  await expect(replies.read('mail')).rejects.toBeInstanceOf(SmtpConnectionError);
});

test('dot-stuffs lines that start with a dot and ends the data', () => {
  expect(dotStuff('a\r\n.b\r\n..c\r\n')).toBe('a\r\n..b\r\n...c\r\n.\r\n');
  expect(dotStuff('.first')).toBe('..first\r\n.\r\n');
});
