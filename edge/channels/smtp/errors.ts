/**
 * What can go wrong in an SMTP session, kept as data (stage, reply code) so that the email
 * adapter classifies failures in one place (edge/channels/email-smtp/failures.ts) instead of parsing
 * messages.
 */

/** The step of the session a failure happened in. */
export type SmtpStage =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'message';

/** One server reply: the code, the enhanced status code if any (RFC 3463), and its text. */
export interface SmtpReply {
  code: number;
  enhancedStatus?: string;
  lines: string[];
}

/** The reply's text on one line, e.g. `535 5.7.8 Authentication credentials invalid`. */
export function replyText(reply: SmtpReply): string {
  return `${reply.code} ${reply.lines.join(' ')}`.trim();
}

/** The server answered a command with a code other than the one the session needed. */
export class SmtpReplyError extends Error {
  readonly stage: SmtpStage;
  readonly reply: SmtpReply;

  constructor(stage: SmtpStage, reply: SmtpReply) {
    super(`SMTP ${stage} failed: ${replyText(reply)}`);
    this.name = 'SmtpReplyError';
    this.stage = stage;
    this.reply = reply;
  }
}

/** The connection could not be opened, or broke or closed mid-session. */
export class SmtpConnectionError extends Error {
  readonly stage: SmtpStage;

  constructor(stage: SmtpStage, detail: string, options?: { cause?: unknown }) {
    super(`SMTP connection failed during ${stage}: ${detail}`, options);
    this.name = 'SmtpConnectionError';
    this.stage = stage;
  }
}

/** The server did not answer within the send's time budget. */
export class SmtpTimeoutError extends Error {
  readonly stage: SmtpStage;

  constructor(stage: SmtpStage, timeoutMs: number) {
    super(`SMTP server did not answer during ${stage} within ${timeoutMs} ms`);
    this.name = 'SmtpTimeoutError';
    this.stage = stage;
  }
}

/** The server lacks something the channel's configuration requires (STARTTLS, AUTH). */
export class SmtpCapabilityError extends Error {
  readonly stage: SmtpStage;

  constructor(stage: SmtpStage, detail: string) {
    super(detail);
    this.name = 'SmtpCapabilityError';
    this.stage = stage;
  }
}

/**
 * The message is larger than the fixed maximum the server announced in its EHLO reply
 * (`SIZE <n>`, RFC 1870 §4): "Any attempt by a client to transfer a message which is larger
 * than this limit will be rejected with a permanent failure (552)". Found before MAIL, so the
 * message is never uploaded (RFC 1870 §7, minimal usage).
 */
export class SmtpMessageTooLargeError extends Error {
  readonly stage: SmtpStage = 'mail';
  /** The message size in octets (RFC 1870 §5). */
  readonly size: number;
  /** The server's fixed maximum message size in octets. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(
      `the message is ${size} bytes, larger than the ${limit} bytes the SMTP server accepts (its EHLO SIZE, RFC 1870)`,
    );
    this.name = 'SmtpMessageTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}
