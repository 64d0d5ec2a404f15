import { type AddressInfo, createServer, type Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import type { TestCertificate } from './self-signed-cert';

/**
 * A real SMTP server on loopback (the `smtp-server` package) standing in for a mail provider:
 * it speaks the protocol, offers STARTTLS or implicit TLS with a test certificate, checks AUTH
 * PLAIN/LOGIN against a user list, refuses chosen recipients with 550, can play a server
 * without service extensions (EHLO refused, HELO only), and parses every accepted message with
 * a real MIME parser (`mailparser`).
 */

export interface SmtpReceiverOptions {
  /** 'starttls' offers STARTTLS (needs `certificate`), 'tls' is implicit TLS, 'none' is plain. */
  security: 'none' | 'starttls' | 'tls';
  certificate?: TestCertificate;
  /** username → password; when given, AUTH is required before MAIL. */
  users?: Record<string, string>;
  /** Recipients answered with 550 at RCPT TO. */
  rejectRecipients?: readonly string[];
  /**
   * false: a server without service extensions (RFC 5321 §2.2.1, §3.2: RFC 821 only), which
   * answers EHLO with 500 "command not recognized" and greets HELO, offering no STARTTLS or AUTH.
   */
  extendedSmtp?: boolean;
}

/** One accepted message as it arrived. */
export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  envelope: { from: string; to: string[] };
  /** True when the session was encrypted (STARTTLS or implicit TLS) when DATA arrived. */
  secure: boolean;
  user?: string;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** Resolves once `count` messages have arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function smtpError(message: string, responseCode: number): SMTPServerError {
  return Object.assign(new Error(message), { responseCode });
}

/** Starts an SMTP receiver on 127.0.0.1 and a free port. */
export async function startSmtpReceiver(options: SmtpReceiverOptions): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const rejected = new Set(options.rejectRecipients ?? []);
  const users = options.users;

  const server = new SMTPServer({
    logger: false,
    secure: options.security === 'tls',
    hideSTARTTLS: options.security !== 'starttls',
    ...(options.certificate
      ? { key: options.certificate.key, cert: options.certificate.cert }
      : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !users,
    // Plain-text AUTH is for the 'none' mode only; a STARTTLS server requires TLS first.
    allowInsecureAuth: options.security === 'none',
    disabledCommands: [
      ...(users ? [] : ['AUTH']),
      ...(options.extendedSmtp === false ? ['EHLO'] : []),
    ],
    onAuth(auth, _session, callback) {
      if (users && auth.username && users[auth.username] === auth.password) {
        callback(null, { user: auth.username });
      } else {
        callback(smtpError('Authentication credentials invalid', 535));
      }
    },
    onRcptTo(address, _session, callback) {
      if (rejected.has(address.address)) {
        callback(smtpError(`Mailbox ${address.address} unavailable`, 550));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            messages.push({
              raw,
              parsed,
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              secure: session.secure,
              user: typeof session.user === 'string' ? session.user : undefined,
            });
            for (const wake of waiters.splice(0)) wake();
            callback(null, `Ok: queued as Q${messages.length}`);
          })
          .catch((error: Error) => callback(error));
      });
    },
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    async waitForMessages(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, received ${messages.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages.slice(0, count);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * An SMTP server whose connection breaks in the TLS handshake: it greets, offers STARTTLS in
 * its EHLO reply, answers STARTTLS with 220 "Ready to start TLS" (RFC 3207 §4) and then resets
 * the TCP connection instead of negotiating, as a server restarting or a middlebox dropping the
 * connection would. Resolves with its port; `close` ends it.
 */
export async function startTlsResettingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('220 reset.example ESMTP\r\n');
    socket.on('data', (data: Buffer) => {
      const command = data.toString('latin1').trim().toUpperCase();
      if (command.startsWith('EHLO')) socket.write('250-reset.example\r\n250 STARTTLS\r\n');
      else if (command === 'STARTTLS')
        socket.write('220 Ready to start TLS\r\n', () => socket.resetAndDestroy());
      else socket.write('502 Command not implemented\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
