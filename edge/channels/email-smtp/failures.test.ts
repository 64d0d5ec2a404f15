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

function reply(stage: SmtpStage, code: number, enhancedStatus?: string): SmtpReplyError {
  const answer: SmtpReply = {
    code,
    lines: ['text'],
    ...(enhancedStatus ? { enhancedStatus } : {}),
  };
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

test('refused recipients are rejected_by_provider, permanently, unless the reply names the mailbox', () => {
  for (const error of [
    reply('rcpt', 550),
    reply('rcpt', 553),
    reply('rcpt', 501),
    // X.7.1: delivery not authorized (a policy), not the mailbox (RFC 3463 §3.8).
    reply('rcpt', 550, '5.7.1'),
    reply('greeting', 554),
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

test('a permanent refusal naming the mailbox at RCPT is recipient_unavailable (RFC 3463 §3.2, §3.3; RFC 5321 551)', () => {
  for (const error of [
    reply('rcpt', 550, '5.1.1'),
    reply('rcpt', 550, '5.1.2'),
    reply('rcpt', 550, '5.1.6'),
    reply('rcpt', 550, '5.2.1'),
    reply('rcpt', 552, '5.2.2'),
    reply('rcpt', 551),
  ]) {
    expect(classifySmtpFailure(error), error.message).toMatchObject({
      reason: 'recipient_unavailable',
      retryable: false,
    });
  }
  // A full mailbox answered 4xx is retried like any temporary reply.
  expect(classifySmtpFailure(reply('rcpt', 452, '4.2.2'))).toMatchObject({
    reason: 'network',
    retryable: true,
  });
});

test("a permanent refusal of MAIL (the channel's sender) is channel_not_connected (RFC 5321 §3.3)", () => {
  for (const error of [reply('mail', 550), reply('mail', 553, '5.7.1'), reply('mail', 501)]) {
    expect(classifySmtpFailure(error), error.message).toMatchObject({
      reason: 'channel_not_connected',
      retryable: false,
      detail: expect.stringContaining('sender address'),
    });
  }
});

test('a permanent answer to STARTTLS is channel_not_connected; 454 is retried (RFC 3207 §4)', () => {
  expect(classifySmtpFailure(reply('starttls', 501))).toMatchObject({
    reason: 'channel_not_connected',
    retryable: false,
  });
  expect(classifySmtpFailure(reply('starttls', 454))).toMatchObject({
    reason: 'network',
    retryable: true,
  });
});

test('after STARTTLS, a refused handshake is channel_not_connected and a dropped one is retried', () => {
  const refused = new SmtpConnectionError('ehlo', 'internal error; reference = abc');
  expect(classifySmtpFailure(refused, { startedTls: true })).toMatchObject({
    reason: 'channel_not_connected',
    retryable: false,
    detail: expect.stringContaining('certificate'),
  });
  for (const dropped of [
    new SmtpConnectionError('ehlo', 'Network connection lost.'),
    new SmtpConnectionError('ehlo', 'the server closed the connection'),
  ]) {
    expect(classifySmtpFailure(dropped, { startedTls: true }), dropped.message).toMatchObject({
      reason: 'network',
      retryable: true,
    });
  }
  // The same errors before any STARTTLS, or after the TLS session carried its EHLO: network.
  expect(classifySmtpFailure(refused)).toMatchObject({ reason: 'network', retryable: true });
  const later = new SmtpConnectionError('mail', 'internal error; reference = abc');
  expect(classifySmtpFailure(later, { startedTls: true })).toMatchObject({
    reason: 'network',
    retryable: true,
  });
  expect(
    classifySmtpFailure(new SmtpTimeoutError('ehlo', 1000), { startedTls: true }),
  ).toMatchObject({ reason: 'network', retryable: true });
});
