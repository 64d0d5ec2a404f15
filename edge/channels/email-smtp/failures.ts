import {
  replyText,
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpReplyError,
  SmtpTimeoutError,
} from '../smtp/errors';
import { permanentFailure, type SendOutcome, transientFailure } from '../types';

/** SMTP replies that mean the server refused our login (RFC 4954 §6). */
const CREDENTIAL_CODES: ReadonlySet<number> = new Set([530, 534, 535, 538]);

/** 552 after DATA: the message exceeds the server's size limit (RFC 5321 §4.2.3). */
const MESSAGE_TOO_BIG = 552;

/**
 * Turns any SMTP failure into an outcome — the one place where email errors are classified.
 * 4xx replies, broken connections and timeouts are transient (retried); 530/534/535/538 are
 * rejected credentials; other 5xx replies are permanent rejections (a refused recipient,
 * 550/553/501) or, for an oversized message, invalid content.
 */
export function classifySmtpFailure(error: unknown): SendOutcome {
  if (error instanceof SmtpReplyError) {
    const { code } = error.reply;
    const detail = `SMTP ${error.stage}: ${replyText(error.reply)}`;
    // 454 is a temporary authentication failure (RFC 4954 §6): retry like any 4xx.
    if (code >= 400 && code < 500) return transientFailure('network', detail);
    if (CREDENTIAL_CODES.has(code)) return permanentFailure('credentials_rejected', detail);
    if (error.stage === 'message' && code === MESSAGE_TOO_BIG) {
      return permanentFailure('content_invalid', detail);
    }
    return permanentFailure('rejected_by_provider', detail);
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
