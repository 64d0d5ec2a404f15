import {
  replyText,
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpMessageTooLargeError,
  type SmtpReply,
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
 * Enhanced status codes (RFC 3463) that, in a permanent reply to RCPT, say the recipient's
 * mailbox cannot take mail: X.1.1 "Bad destination mailbox address" (no such mailbox), X.1.2
 * "Bad destination system address" (no such domain), X.1.6 "Destination mailbox has moved, No
 * forwarding address" (§3.2), X.2.1 "Mailbox disabled, not accepting messages" and X.2.2
 * "Mailbox full" (§3.3). Other refusals at RCPT (policy, X.7.x; or no enhanced code) stay
 * rejections: the reply does not say the recipient is the reason.
 */
const RECIPIENT_STATUSES: ReadonlySet<string> = new Set(['1.1', '1.2', '1.6', '2.1', '2.2']);

/**
 * 551 "User not local; please try <forward-path>" (RFC 5321 §3.4, §4.2.2): the mailbox is not
 * at this server. We send to the contact's address only, so the recipient is not reachable here.
 */
const USER_NOT_LOCAL = 551;

/** The subject and detail of an enhanced status code (`5.1.1` → `1.1`), if the reply has one. */
function enhancedDetail(reply: SmtpReply): string | null {
  return reply.enhancedStatus?.slice(reply.enhancedStatus.indexOf('.') + 1) ?? null;
}

/**
 * What the runtime reports when the connection itself dropped (workerd's "Network connection
 * lost.", our reader's "the server closed the connection", a reset): a retry may succeed.
 */
const DROPPED_CONNECTION = /connection lost|closed the connection|reset|disconnect|broken pipe/i;

/** What the adapter saw of the session, beyond the error itself. */
export interface SmtpSessionFacts {
  /** STARTTLS was accepted (220) and the socket was handed to TLS (`startTls()`). */
  startedTls?: boolean;
}

/**
 * A connection that broke right after the upgrade to TLS (the EHLO that RFC 3207 §4.2 requires
 * first on the new session never got its answer). Workers' runtime does the handshake itself
 * and reports a certificate it refuses (untrusted or self-signed, expired, for another host:
 * RFC 7817 §3 has the client verify the server's identity and not proceed when it fails) or a
 * TLS version/cipher the two sides do not share as an opaque error on the first read or write
 * ("internal error; reference = …"), never as a dropped connection. That failure repeats on
 * every attempt until someone fixes the server's certificate or the channel's host, port or
 * security; RFC 3207 §4.1 has the client abort when the negotiation fails rather than carry on
 * in plain text, so it fails at once as a misconfigured channel (not put in ERROR: once the
 * certificate is fixed, the next send goes through by itself, as a webhook endpoint's invalid
 * certificate, HTTP 526, does). A connection that dropped mid-handshake is retried.
 */
function tlsNegotiationFailure(error: SmtpConnectionError): SendOutcome {
  if (DROPPED_CONNECTION.test(error.message)) {
    return transientFailure(
      'network',
      `${error.message} (during the TLS handshake after STARTTLS)`,
    );
  }
  return permanentFailure(
    'channel_not_connected',
    `the TLS handshake after STARTTLS failed (${error.message}): the SMTP server's certificate is not valid for this host (untrusted or self-signed, expired, or issued for another name), or it offers no TLS version or cipher in common; fix the server's certificate or the channel's host, port and security`,
  );
}

/**
 * Turns any SMTP failure into an outcome — the one place where email errors are classified.
 * 4xx replies, broken connections and timeouts are transient (retried); 530/534/535/538 are
 * rejected credentials; a TLS negotiation that fails (STARTTLS not offered or refused, or a
 * handshake the runtime refuses) is a misconfigured channel; a permanent refusal of MAIL (our
 * sender) is a misconfigured channel; a permanent refusal of RCPT naming the mailbox (RFC 3463
 * X.1.1, X.1.2, X.1.6, X.2.1, X.2.2; 551) is an unavailable recipient; other 5xx replies are
 * permanent rejections (550/553/501) or, for an oversized message (552 to MAIL, DATA or the
 * message, or over the server's EHLO SIZE before MAIL), invalid content.
 */
export function classifySmtpFailure(error: unknown, facts: SmtpSessionFacts = {}): SendOutcome {
  if (error instanceof SmtpReplyError) {
    const { code } = error.reply;
    const detail = `SMTP ${error.stage}: ${replyText(error.reply)}`;
    // 454 is a temporary authentication failure (RFC 4954 §6), and to STARTTLS "TLS not
    // available due to temporary reason" (RFC 3207 §4): retry like any 4xx.
    if (code >= 400 && code < 500) return transientFailure('network', detail);
    if (CREDENTIAL_CODES.has(code)) return permanentFailure('credentials_rejected', detail);
    if (SIZE_STAGES.has(error.stage) && code === MESSAGE_TOO_BIG) {
      return permanentFailure('content_invalid', detail);
    }
    if (error.stage === 'starttls') {
      // A permanent answer to STARTTLS (RFC 3207 §4: 501, or a server that does not know the
      // command): TLS cannot be had, as when STARTTLS is not offered at all.
      return permanentFailure('channel_not_connected', `${detail} (the server refuses STARTTLS)`);
    }
    if (error.stage === 'mail') {
      // RFC 5321 §3.3: a permanent reply to MAIL means the failure "will occur again if the
      // client tries to send the same address again". The reverse-path is the channel's
      // fromAddress for every message, so every send of the channel fails alike: the sender
      // (or this client) is not allowed, which the channel's settings must fix.
      return permanentFailure(
        'channel_not_connected',
        `${detail} (the server refuses the channel's sender address)`,
      );
    }
    if (error.stage === 'rcpt') {
      const status = enhancedDetail(error.reply);
      if (code === USER_NOT_LOCAL || (status !== null && RECIPIENT_STATUSES.has(status))) {
        return permanentFailure('recipient_unavailable', detail);
      }
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
  if (error instanceof SmtpConnectionError && facts.startedTls && error.stage === 'ehlo') {
    return tlsNegotiationFailure(error);
  }
  if (error instanceof SmtpTimeoutError || error instanceof SmtpConnectionError) {
    return transientFailure('network', error.message);
  }
  // Any other socket error surfaces here: retried as network.
  return transientFailure('network', error instanceof Error ? error.message : String(error));
}
