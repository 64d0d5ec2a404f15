import { isEmailAddress } from '../../../workflow/contact-fields';
import { HeaderInjectionError, stripLineBreaks } from '../../security/header-value';
import { type OutboundMessage, permanentFailure, type SendOutcome } from '../types';
import { buildMimeMessage, type Mailbox } from './mime';

/**
 * The RFC 5322 message of one outbound email, as every email provider sends it (SMTP after
 * DATA, Gmail base64url-encoded in `raw`): the rendered subject, bodies and thread headers,
 * from the channel's sender to the contact. Refuses what no provider should be handed.
 */

/** The contact's display name for the To header, without line breaks. */
function contactName(contact: OutboundMessage['contact']): string | undefined {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  return name ? stripLineBreaks(name) : undefined;
}

/** The MIME text, its Message-ID and Subject, or the failure that keeps the message from being sent. */
export type OutboundMime =
  | { ok: true; mime: string; messageId: string; subject: string }
  | { ok: false; outcome: SendOutcome };

/**
 * Builds the message; `subject` replaces the rendered one (Gmail keeps a thread's subject).
 * A non-email rendering or a malformed recipient address fails before any provider is called;
 * a header value with CR/LF is invalid content.
 */
export function outboundMime(
  message: OutboundMessage,
  from: Mailbox,
  date: Date,
  subject?: string,
): OutboundMime {
  const { rendered, recipient } = message;
  if (rendered.kind !== 'email') {
    return {
      ok: false,
      outcome: permanentFailure(
        'content_invalid',
        `an email channel cannot send a ${rendered.kind} message`,
      ),
    };
  }
  if (!isEmailAddress(recipient)) {
    return {
      ok: false,
      outcome: permanentFailure('no_associated_channel', 'the contact has no valid e-mail address'),
    };
  }
  const sentSubject = subject ?? rendered.subject;
  try {
    return {
      ok: true,
      messageId: rendered.headers.messageId,
      subject: sentSubject,
      mime: buildMimeMessage({
        from,
        to: { address: recipient, name: contactName(message.contact) },
        subject: sentSubject,
        date,
        messageId: rendered.headers.messageId,
        inReplyTo: rendered.headers.inReplyTo,
        references: rendered.headers.references,
        text: rendered.text,
        html: rendered.html,
      }),
    };
  } catch (error) {
    if (error instanceof HeaderInjectionError) {
      return { ok: false, outcome: permanentFailure('content_invalid', error.message) };
    }
    throw error;
  }
}
