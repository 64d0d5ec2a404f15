import { isEmailAddress } from '../../../workflow/contact-fields';
import { HeaderInjectionError, stripLineBreaks } from '../../security/header-value';
import {
  type MediaReader,
  type OutboundMessage,
  permanentFailure,
  type RenderedMessage,
  type SendOutcome,
} from '../types';
import { buildMimeMessage, type Mailbox, type MimeAttachment } from './mime';

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

/**
 * The bytes of the files the email carries (inline images and attachments), read from the
 * media bucket; a string says why they cannot be (a retry will not bring them back).
 */
async function readAttachments(
  rendered: Extract<RenderedMessage, { kind: 'email' }>,
  media: MediaReader | undefined,
): Promise<MimeAttachment[] | string> {
  const carried = rendered.media.filter((file) => file.disposition !== 'link' && file.storageKey);
  if (carried.length === 0) return [];
  if (!media) return 'this deployment has no media bucket to read attachments from';
  const attachments: MimeAttachment[] = [];
  for (const file of carried) {
    const content = await media.read(file.storageKey!);
    if (!content) return `${file.fileName} is no longer stored`;
    attachments.push({
      fileName: file.fileName,
      contentType: file.contentType,
      content,
      ...(file.contentId ? { contentId: file.contentId } : {}),
    });
  }
  return attachments;
}

/** The MIME text, its Message-ID and Subject, or the failure that keeps the message from being sent. */
export type OutboundMime =
  | { ok: true; mime: string; messageId: string; subject: string }
  | { ok: false; outcome: SendOutcome };

/**
 * Builds the message with its inline images and attachments (read through `media`); `subject`
 * replaces the rendered one (Gmail keeps a thread's subject). A non-email rendering, a
 * malformed recipient address or a file no longer stored fails before any provider is called;
 * a header value with CR/LF is invalid content.
 */
export async function outboundMime(
  message: OutboundMessage,
  options: { from: Mailbox; date: Date; subject?: string; media?: MediaReader },
): Promise<OutboundMime> {
  const { from, date, subject } = options;
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
  const attachments = await readAttachments(rendered, options.media);
  if (typeof attachments === 'string') {
    return { ok: false, outcome: permanentFailure('content_invalid', attachments) };
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
        attachments,
      }),
    };
  } catch (error) {
    if (error instanceof HeaderInjectionError) {
      return { ok: false, outcome: permanentFailure('content_invalid', error.message) };
    }
    throw error;
  }
}
