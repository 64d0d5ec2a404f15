import {
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpMessageTooLargeError,
  type SmtpReply,
  SmtpReplyError,
  type SmtpStage,
  SmtpTimeoutError,
} from './errors';
import { SmtpReplyReader } from './reply-reader';

/**
 * A small SMTP client (RFC 5321) for one message per connection, over any socket with the
 * shape of Workers' `cloudflare:sockets` (connect, STARTTLS upgrade via `startTls()`).
 * Session: greeting → EHLO (or HELO) → [STARTTLS → EHLO] → [AUTH PLAIN | LOGIN] → MAIL → RCPT → DATA →
 * QUIT. A server offering SIZE (RFC 1870) gets the message's size on MAIL, and a message over
 * its announced limit is refused before MAIL, never uploaded. Every wait shares one deadline,
 * so a send never outlives its time budget.
 */

/** The socket surface the client needs (satisfied by `cloudflare:sockets`). */
export interface SmtpSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<unknown>;
  close(): Promise<void>;
  startTls(): SmtpSocket;
}

export type SmtpConnect = (
  address: { hostname: string; port: number },
  options: { secureTransport: 'off' | 'on' | 'starttls'; allowHalfOpen: boolean },
) => SmtpSocket;

/** 'none': plain TCP; 'starttls': upgrade after EHLO (required, never skipped); 'tls': implicit. */
export type SmtpSecurity = 'none' | 'starttls' | 'tls';
export type SmtpAuthMethod = 'plain' | 'login';

export interface SmtpConfig {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** The name this client gives in EHLO (a domain, or an address literal like `[127.0.0.1]`). */
  clientName: string;
  auth?: { username: string; password: string; method?: SmtpAuthMethod };
  timeoutMs: number;
}

export interface SmtpEnvelope {
  from: string;
  to: string;
}

/** How long QUIT may take; the message is already accepted by then. */
const QUIT_GRACE_MS = 1_000;

const encoder = new TextEncoder();

function utf8Base64(text: string): string {
  let binary = '';
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Dot-stuffing (RFC 5321 §4.5.2): a line starting with `.` gets another `.` so that it is not
 * read as the end of the data; the data then ends with CRLF `.` CRLF.
 */
export function dotStuff(message: string): string {
  return `${withFinalLineEnd(message).replace(/^\./gm, '..')}.\r\n`;
}

function withFinalLineEnd(message: string): string {
  return message.endsWith('\r\n') ? message : `${message}\r\n`;
}

/**
 * The message size of RFC 1870 §5: the octets sent after the 354 reply, CR-LF pairs included,
 * but not the terminating dot or the dots doubled by dot-stuffing.
 */
export function messageSize(message: string): number {
  return encoder.encode(withFinalLineEnd(message)).length;
}

/**
 * The server's fixed maximum message size from its EHLO `SIZE` keyword (RFC 1870 §3 (3),
 * `size-param ::= [1*DIGIT]`): null when SIZE is not offered, when its parameter is omitted (no
 * information, §7) or 0 ("no fixed maximum message size is in force").
 */
function sizeLimit(extensions: Map<string, string[]>): number | null {
  const param = extensions.get('SIZE')?.[0];
  if (param === undefined || !/^\d{1,20}$/.test(param)) return null;
  const limit = Number(param);
  return limit > 0 ? limit : null;
}

/** Server extensions from an EHLO reply: keyword → parameters (e.g. AUTH → PLAIN LOGIN). */
function parseExtensions(reply: SmtpReply): Map<string, string[]> {
  const extensions = new Map<string, string[]>();
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/[\s=]+/);
    if (keyword)
      extensions.set(
        keyword.toUpperCase(),
        params.map((param) => param.toUpperCase()),
      );
  }
  return extensions;
}

/** True when `reply` has the first digit of one of `expected` (RFC 5321 §4.2.1). */
function isReplyOfKind(reply: SmtpReply, expected: readonly number[]): boolean {
  const kind = Math.floor(reply.code / 100);
  return expected.some((code) => Math.floor(code / 100) === kind);
}

class SmtpSession {
  #socket: SmtpSocket;
  #replies: SmtpReplyReader;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #deadline: number;
  readonly #timeoutMs: number;

  constructor(socket: SmtpSocket, timeoutMs: number) {
    this.#socket = socket;
    this.#replies = new SmtpReplyReader(socket.readable.getReader());
    this.#writer = socket.writable.getWriter();
    this.#timeoutMs = timeoutMs;
    this.#deadline = Date.now() + timeoutMs;
  }

  /** Waits for `promise` until the session's deadline; a timeout closes the socket. */
  async within<T>(stage: SmtpStage, promise: Promise<T>, limitMs?: number): Promise<T> {
    const remaining = Math.min(this.#deadline - Date.now(), limitMs ?? Number.POSITIVE_INFINITY);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SmtpTimeoutError(stage, this.#timeoutMs)),
        Math.max(remaining, 0),
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (error) {
      if (error instanceof SmtpTimeoutError) this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async write(stage: SmtpStage, text: string): Promise<void> {
    try {
      await this.within(stage, this.#writer.write(encoder.encode(text)));
    } catch (error) {
      if (error instanceof SmtpTimeoutError) throw error;
      throw new SmtpConnectionError(stage, (error as Error).message, { cause: error });
    }
  }

  async read(stage: SmtpStage, limitMs?: number): Promise<SmtpReply> {
    try {
      return await this.within(stage, this.#replies.read(stage), limitMs);
    } catch (error) {
      if (error instanceof SmtpTimeoutError || error instanceof SmtpConnectionError) throw error;
      throw new SmtpConnectionError(stage, (error as Error).message, { cause: error });
    }
  }

  /**
   * Reads a reply and requires the kind of `expected` code: its first digit (RFC 5321 §4.2.1:
   * the first digit says whether the command succeeded, 2yz, or awaits more, 3yz; a client that
   * receives an unexpected code determines its next action by it). A `251` where `250` was
   * named is still a success, so an accepted message is never recorded as refused.
   */
  async expect(stage: SmtpStage, ...expected: number[]): Promise<SmtpReply> {
    const reply = await this.read(stage);
    if (!isReplyOfKind(reply, expected)) throw new SmtpReplyError(stage, reply);
    return reply;
  }

  /** Sends one command line and requires one of `expected` reply codes. */
  async command(stage: SmtpStage, line: string, ...expected: number[]): Promise<SmtpReply> {
    await this.write(stage, `${line}\r\n`);
    return this.expect(stage, ...expected);
  }

  /** Upgrades the connection to TLS in place (the socket was opened with 'starttls'). */
  upgradeToTls(): void {
    this.#replies.release();
    this.#writer.releaseLock();
    this.#socket = this.#socket.startTls();
    this.#replies = new SmtpReplyReader(this.#socket.readable.getReader());
    this.#writer = this.#socket.writable.getWriter();
  }

  close(): void {
    this.#socket.close().catch(() => undefined);
  }
}

async function ehlo(session: SmtpSession, clientName: string): Promise<Map<string, string[]>> {
  return parseExtensions(await session.command('ehlo', `EHLO ${clientName}`, 250));
}

/**
 * Opens the session: EHLO, and HELO when the server refuses EHLO with a permanent error (a
 * server without service extensions answers 500 "command not recognized", or 502). RFC 5321
 * §2.2.1: clients MUST support HELO as a fallback; §3.2: on "command not recognized" to EHLO
 * the client SHOULD fall back to HELO. A HELO session has no extensions, so a configured
 * STARTTLS or AUTH then fails as not offered (never a silent downgrade).
 */
async function greet(session: SmtpSession, clientName: string): Promise<Map<string, string[]>> {
  await session.write('ehlo', `EHLO ${clientName}\r\n`);
  const reply = await session.read('ehlo');
  if (isReplyOfKind(reply, [250])) return parseExtensions(reply);
  if (reply.code < 500 || reply.code > 599) throw new SmtpReplyError('ehlo', reply);
  await session.command('ehlo', `HELO ${clientName}`, 250);
  return new Map();
}

async function authenticate(
  session: SmtpSession,
  auth: NonNullable<SmtpConfig['auth']>,
  extensions: Map<string, string[]>,
): Promise<void> {
  const offered = extensions.get('AUTH');
  if (!offered) {
    throw new SmtpCapabilityError('auth', 'the SMTP server does not offer authentication (AUTH)');
  }
  const method =
    auth.method ??
    (offered.includes('PLAIN') ? 'plain' : offered.includes('LOGIN') ? 'login' : undefined);
  if (!method || !offered.includes(method.toUpperCase())) {
    throw new SmtpCapabilityError(
      'auth',
      `the SMTP server offers AUTH ${offered.join(' ')}, not ${method?.toUpperCase() ?? 'PLAIN or LOGIN'}`,
    );
  }
  if (method === 'plain') {
    // RFC 4616: authzid NUL authcid NUL passwd.
    await session.command(
      'auth',
      `AUTH PLAIN ${utf8Base64(`\0${auth.username}\0${auth.password}`)}`,
      235,
    );
    return;
  }
  await session.command('auth', 'AUTH LOGIN', 334);
  await session.command('auth', utf8Base64(auth.username), 334);
  await session.command('auth', utf8Base64(auth.password), 235);
}

/**
 * Sends one message (already MIME-formatted with CRLF line ends) and returns the server's
 * final reply to DATA. Throws the typed errors of ./errors on any failure; always closes the
 * socket.
 */
export async function sendMail(
  connect: SmtpConnect,
  config: SmtpConfig,
  envelope: SmtpEnvelope,
  message: string,
): Promise<SmtpReply> {
  const secureTransport =
    config.security === 'tls' ? 'on' : config.security === 'starttls' ? 'starttls' : 'off';
  let socket: SmtpSocket;
  try {
    socket = connect(
      { hostname: config.host, port: config.port },
      { secureTransport, allowHalfOpen: false },
    );
  } catch (error) {
    throw new SmtpConnectionError('connect', (error as Error).message, { cause: error });
  }
  const session = new SmtpSession(socket, config.timeoutMs);
  try {
    try {
      await session.within('connect', socket.opened);
    } catch (error) {
      if (error instanceof SmtpTimeoutError) throw error;
      throw new SmtpConnectionError('connect', (error as Error).message, { cause: error });
    }
    await session.expect('greeting', 220);
    let extensions = await greet(session, config.clientName);
    if (config.security === 'starttls') {
      // Never fall back to plain text when STARTTLS was configured: that is a downgrade.
      if (!extensions.has('STARTTLS')) {
        throw new SmtpCapabilityError('starttls', 'the SMTP server does not offer STARTTLS');
      }
      await session.command('starttls', 'STARTTLS', 220);
      session.upgradeToTls();
      extensions = await ehlo(session, config.clientName);
    }
    if (config.auth) await authenticate(session, config.auth, extensions);
    // RFC 1870: a message over the server's announced limit "will be rejected with a permanent
    // failure (552)" (§4), so it is not transmitted at all (§7, minimal usage): uploading it
    // would only end in 552 or a dropped connection, on every retry. Where SIZE is offered,
    // MAIL declares the size (§6), so the server can refuse it (552, §6.1) before DATA.
    const size = messageSize(message);
    const limit = sizeLimit(extensions);
    if (limit !== null && size > limit) {
      await session.write('mail', 'QUIT\r\n').catch(() => undefined);
      await session.read('mail', QUIT_GRACE_MS).catch(() => undefined);
      throw new SmtpMessageTooLargeError(size, limit);
    }
    const sizeParam = extensions.has('SIZE') ? ` SIZE=${size}` : '';
    await session.command('mail', `MAIL FROM:<${envelope.from}>${sizeParam}`, 250);
    await session.command('rcpt', `RCPT TO:<${envelope.to}>`, 250, 251);
    await session.command('data', 'DATA', 354);
    await session.write('message', dotStuff(message));
    const accepted = await session.expect('message', 250);
    await session.write('message', 'QUIT\r\n').catch(() => undefined);
    await session.read('message', QUIT_GRACE_MS).catch(() => undefined);
    return accepted;
  } finally {
    session.close();
  }
}
