import { expect, test } from 'vitest';
import {
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpMessageTooLargeError,
  type SmtpReply,
  SmtpReplyError,
  type SmtpStage,
  SmtpTimeoutError,
} from '../smtp/errors';
import { classifySmtpFailure } from './failures';

function reply(stage: SmtpStage, code: number): SmtpReplyError {
  const answer: SmtpReply = { code, lines: ['text'] };
  return new SmtpReplyError(stage, answer);
}

test('temporary replies, broken connections and timeouts are retryable network failures', () => {
  for (const error of [
    reply('greeting', 421),
    reply('rcpt', 450),
    reply('mail', 451),
    reply('rcpt', 452),
    reply('auth', 454),
    new SmtpConnectionError('connect', 'refused'),
    new SmtpTimeoutError('message', 1000),
    new Error('TLS handshake failed'),
  ]) {
    expect(classifySmtpFailure(error), String(error)).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: true,
    });
  }
});

test('refused logins are credentials_rejected, permanently', () => {
  for (const code of [530, 534, 535, 538]) {
    expect(classifySmtpFailure(reply('auth', code))).toMatchObject({
      reason: 'credentials_rejected',
      retryable: false,
    });
  }
  expect(classifySmtpFailure(new SmtpCapabilityError('auth', 'no AUTH'))).toMatchObject({
    reason: 'credentials_rejected',
    retryable: false,
  });
});

test('refused recipients and senders are rejected_by_provider, permanently', () => {
  for (const error of [
    reply('rcpt', 550),
    reply('rcpt', 553),
    reply('rcpt', 501),
    reply('mail', 550),
  ]) {
    expect(classifySmtpFailure(error)).toMatchObject({
      reason: 'rejected_by_provider',
      retryable: false,
    });
  }
});

test('an oversized message is content_invalid; a server without STARTTLS is not connected', () => {
  expect(classifySmtpFailure(reply('message', 552))).toMatchObject({
    reason: 'content_invalid',
    retryable: false,
  });
  expect(classifySmtpFailure(new SmtpCapabilityError('starttls', 'no STARTTLS'))).toMatchObject({
    reason: 'channel_not_connected',
    retryable: false,
  });
});

test('552 to MAIL (a declared SIZE), DATA or the message is content_invalid (RFC 1870 §6.1, §6.2)', () => {
  for (const stage of ['mail', 'data', 'message'] as const) {
    expect(classifySmtpFailure(reply(stage, 552)), stage).toMatchObject({
      reason: 'content_invalid',
      retryable: false,
    });
  }
  // At RCPT, 552 may be the recipient's full mailbox: a refusal, not our content.
  expect(classifySmtpFailure(reply('rcpt', 552))).toMatchObject({
    reason: 'rejected_by_provider',
    retryable: false,
  });
});

test("a message over the server's EHLO SIZE is content_invalid, naming both sizes", () => {
  expect(classifySmtpFailure(new SmtpMessageTooLargeError(2048, 1000))).toMatchObject({
    status: 'failed',
    reason: 'content_invalid',
    retryable: false,
    detail: expect.stringMatching(/2048 bytes.*1000 bytes/),
  });
});
