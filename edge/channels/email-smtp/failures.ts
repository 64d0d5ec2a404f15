import {
  replyText,
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpMessageTooLargeError,
  SmtpReplyError,
  SmtpTimeoutError,
} from '../smtp/errors';
import { permanentFailure, type SendOutcome, transientFailure } from '../types';

/** SMTP replies that mean the server refused our login (RFC 4954 §6). */
const CREDENTIAL_CODES: ReadonlySet<number> = new Set([530, 534, 535, 538]);

/**
 * 552: the message exceeds the server's size limit (RFC 5321 §4.2.3, "exceeded storage
 * allocation"; RFC 1870 §6.1 (2) to a MAIL that declared SIZE, and §6.2: after DATA or after
 * the transfer). Permanent: RFC 1870 §6.2 (2) has the client "declare the message
 * undeliverable"; sending it again would be refused again.
 */
const MESSAGE_TOO_BIG = 552;
/** Where 552 means the message's size (at RCPT it may be the recipient's full mailbox). */
const SIZE_STAGES: ReadonlySet<string> = new Set(['mail', 'data', 'message']);

/**
 * Turns any SMTP failure into an outcome — the one place where email errors are classified.
 * 4xx replies, broken connections and timeouts are transient (retried); 530/534/535/538 are
 * rejected credentials; other 5xx replies are permanent rejections (a refused recipient,
 * 550/553/501) or, for an oversized message (552 to MAIL, DATA or the message, or over the
 * server's EHLO SIZE before MAIL), invalid content.
 */
export function classifySmtpFailure(error: unknown): SendOutcome {
  if (error instanceof SmtpReplyError) {
    const { code } = error.reply;
    const detail = `SMTP ${error.stage}: ${replyText(error.reply)}`;
    // 454 is a temporary authentication failure (RFC 4954 §6): retry like any 4xx.
    if (code >= 400 && code < 500) return transientFailure('network', detail);
    if (CREDENTIAL_CODES.has(code)) return permanentFailure('credentials_rejected', detail);
    if (SIZE_STAGES.has(error.stage) && code === MESSAGE_TOO_BIG) {
      return permanentFailure('content_invalid', detail);
    }
    return permanentFailure('rejected_by_provider', detail);
  }
  if (error instanceof SmtpMessageTooLargeError) {
    // Over the limit the server announced (EHLO SIZE): refused before anything was uploaded.
    return permanentFailure('content_invalid', error.message);
  }
  if (error instanceof SmtpCapabilityError) {
    // The server lacks what the channel is configured for (STARTTLS, AUTH): fix the channel.
    return permanentFailure(
      error.stage === 'auth' ? 'credentials_rejected' : 'channel_not_connected',
      error.message,
    );
  }
  if (error instanceof SmtpTimeoutError || error instanceof SmtpConnectionError) {
    return transientFailure('network', error.message);
  }
  // A TLS handshake failure or any other socket error surfaces here: retried as network.
  return transientFailure('network', error instanceof Error ? error.message : String(error));
}
