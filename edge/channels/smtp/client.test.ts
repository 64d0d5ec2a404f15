import { describe, expect, test } from 'vitest';
import { messageSize, type SmtpConfig, type SmtpSocket, sendMail } from './client';
import { SmtpCapabilityError, SmtpMessageTooLargeError, SmtpReplyError } from './errors';

/**
 * A scripted SMTP server behind an in-memory socket: `reply` answers each command line (and
 * `<end of data>` after the `.` line), as RFC 5321 §4.3.2 lets a server answer.
 */
function scriptedServer(reply: (command: string) => string) {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const commands: string[] = [];
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let buffer = '';
  let inData = false;
  const send = (text: string) => controller.enqueue(encoder.encode(text));
  const socket: SmtpSocket = {
    readable: new ReadableStream<Uint8Array>({
      start(start) {
        controller = start;
        send('220 mx.example.com ESMTP\r\n');
      },
    }),
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (inData) {
            if (line !== '.') continue;
            inData = false;
            send(reply('<end of data>'));
            continue;
          }
          commands.push(line);
          const answer = reply(line);
          if (line === 'DATA' && answer.startsWith('354')) inData = true;
          send(answer);
        }
      },
    }),
    opened: Promise.resolve(),
    close: async () => {
      try {
        controller.close();
      } catch {
        // already closed
      }
    },
    startTls: () => {
      throw new Error('no TLS in this test');
    },
  };
  return { commands, connect: () => socket };
}

const config: SmtpConfig = {
  host: 'mx.example.com',
  port: 25,
  security: 'none',
  clientName: 'sendflow.example.com',
  timeoutMs: 2_000,
};
const envelope = { from: 'team@example.com', to: 'zoe@example.net' };
const message = 'Subject: Hi\r\n\r\nHello\r\n';

function standard(command: string): string {
  if (command.startsWith('HELO')) return '250 mx.example.com\r\n';
  if (command.startsWith('MAIL') || command.startsWith('RCPT')) return '250 2.1.0 Ok\r\n';
  if (command === 'DATA') return '354 End data with <CR><LF>.<CR><LF>\r\n';
  if (command === '<end of data>') return '250 2.0.0 Ok: queued\r\n';
  if (command === 'QUIT') return '221 2.0.0 Bye\r\n';
  return '502 5.5.1 Command not implemented\r\n';
}

/** An RFC 821 server: EHLO is "command not recognized". */
const legacy = (command: string) =>
  command.startsWith('EHLO') ? '500 5.5.1 Command not recognized\r\n' : standard(command);

test('falls back to HELO when EHLO is not recognized (RFC 5321 §2.2.1, §3.2)', async () => {
  const server = scriptedServer(legacy);
  const accepted = await sendMail(server.connect, config, envelope, message);
  expect(accepted.code).toBe(250);
  expect(server.commands).toEqual([
    'EHLO sendflow.example.com',
    'HELO sendflow.example.com',
    'MAIL FROM:<team@example.com>',
    'RCPT TO:<zoe@example.net>',
    'DATA',
    'QUIT',
  ]);
});

test('a HELO session has no extensions: configured AUTH fails before MAIL', async () => {
  const server = scriptedServer(legacy);
  await expect(
    sendMail(
      server.connect,
      { ...config, auth: { username: 'u', password: 'p' } },
      envelope,
      message,
    ),
  ).rejects.toBeInstanceOf(SmtpCapabilityError);
  expect(server.commands.some((command) => command.startsWith('MAIL'))).toBe(false);
});

test('a transient refusal of EHLO (421) ends the session without HELO', async () => {
  const server = scriptedServer((command) =>
    command.startsWith('EHLO') ? '421 4.3.2 Service not available\r\n' : standard(command),
  );
  const failure = await sendMail(server.connect, config, envelope, message).catch((e) => e);
  expect(failure).toBeInstanceOf(SmtpReplyError);
  expect((failure as SmtpReplyError).reply.code).toBe(421);
  expect(server.commands).toEqual(['EHLO sendflow.example.com']);
});

test('a positive reply other than the usual code is read by its first digit (RFC 5321 §4.2.1)', async () => {
  const server = scriptedServer((command) => {
    if (command.startsWith('EHLO')) return '250-mx.example.com\r\n250 8BITMIME\r\n';
    if (command.startsWith('RCPT')) return '251 2.1.5 User not local; will forward\r\n';
    if (command === '<end of data>') return '252 2.0.0 Accepted for delivery\r\n';
    return standard(command);
  });
  const accepted = await sendMail(server.connect, config, envelope, message);
  expect(accepted.code).toBe(252);
  expect(server.commands).toContain('QUIT');
});

describe('SIZE (RFC 1870)', () => {
  const big = `Subject: Big\r\n\r\n${'x'.repeat(200)}\r\n`;
  const sizeServer = (keyword: string) =>
    scriptedServer((command) =>
      command.startsWith('EHLO') ? `250-mx.example.com\r\n250 ${keyword}\r\n` : standard(command),
    );

  test('a message over the announced limit is refused before MAIL and never uploaded (§4, §7)', async () => {
    const server = sizeServer('SIZE 100');
    const failure = await sendMail(server.connect, config, envelope, big).catch((e) => e);
    expect(failure).toBeInstanceOf(SmtpMessageTooLargeError);
    expect(failure).toMatchObject({ size: messageSize(big), limit: 100 });
    expect((failure as Error).message).toContain(`${messageSize(big)} bytes`);
    expect((failure as Error).message).toContain('100 bytes');
    expect(server.commands).toEqual(['EHLO sendflow.example.com', 'QUIT']);
  });

  test('MAIL declares the message size when SIZE is offered (§6), the limit not exceeded', async () => {
    const server = sizeServer(`SIZE ${messageSize(big)}`);
    expect((await sendMail(server.connect, config, envelope, big)).code).toBe(250);
    expect(server.commands).toContain(`MAIL FROM:<team@example.com> SIZE=${messageSize(big)}`);
  });

  test('SIZE without a limit, or with 0, declares the size and checks nothing (§3, §7)', async () => {
    for (const keyword of ['SIZE', 'SIZE 0']) {
      const server = sizeServer(keyword);
      expect((await sendMail(server.connect, config, envelope, big)).code).toBe(250);
      expect(server.commands).toContain(`MAIL FROM:<team@example.com> SIZE=${messageSize(big)}`);
    }
  });

  test('a server without SIZE gets the plain MAIL command', async () => {
    const server = sizeServer('8BITMIME');
    await sendMail(server.connect, config, envelope, big);
    expect(server.commands).toContain('MAIL FROM:<team@example.com>');
  });

  test('the size counts octets and CR-LF, not the dots of dot-stuffing (§5)', () => {
    expect(messageSize('Subject: é\r\n\r\n.hi')).toBe('Subject: é\r\n\r\n.hi\r\n'.length + 1);
  });
});
