import { isEmailAddress } from '../../../workflow/contact-fields';
import { HeaderInjectionError, stripLineBreaks } from '../../security/header-value';
import { readChannel } from '../channel-config';
import { sendMail } from '../smtp/client';
import { replyText } from '../smtp/errors';
import { buildMimeMessage, type MimeAttachment } from '../smtp/mime';
import {
  type AdapterOptions,
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  type OutboundMessage,
  permanentFailure,
  type RenderedMessage,
} from '../types';
import { emailSmtpDefinition } from './definition';
import { classifySmtpFailure } from './failures';

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
  options: AdapterOptions,
): Promise<MimeAttachment[] | string> {
  const carried = rendered.media.filter((file) => file.disposition !== 'link' && file.storageKey);
  if (carried.length === 0) return [];
  const reader = options.media;
  if (!reader) return 'this deployment has no media bucket to read attachments from';
  const attachments: MimeAttachment[] = [];
  for (const file of carried) {
    const content = await reader.read(file.storageKey!);
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

/** The EHLO name: the configured one, else the from-address domain (RFC 5321 §4.1.1.1). */
function clientName(settings: { heloName: string | null; fromAddress: string }): string {
  return settings.heloName ?? settings.fromAddress.slice(settings.fromAddress.lastIndexOf('@') + 1);
}

/**
 * Email over SMTP, spoken from the Worker over a TCP socket (the host hands in
 * `cloudflare:sockets`' `connect`) with STARTTLS or implicit TLS and AUTH PLAIN/LOGIN as the
 * channel is configured. The Message-ID comes from the delivery id
 * (edge/render/thread-headers.ts), so a retried delivery is the same message to the receiver;
 * it is also the provider message id recorded.
 */
export const emailSmtpAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(emailSmtpDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    const { settings, credentials } = read;
    if (!options.connectTcp) {
      return permanentFailure('channel_not_connected', 'this runtime cannot open SMTP connections');
    }
    const { rendered, recipient } = message;
    if (rendered.kind !== 'email') {
      return permanentFailure(
        'content_invalid',
        `an email channel cannot send a ${rendered.kind} message`,
      );
    }
    if (!isEmailAddress(recipient)) {
      return permanentFailure('no_associated_channel', 'the contact has no valid e-mail address');
    }

    const attachments = await readAttachments(rendered, options);
    if (typeof attachments === 'string') return permanentFailure('content_invalid', attachments);

    let mime: string;
    try {
      mime = buildMimeMessage({
        from: { address: settings.fromAddress, name: settings.fromName ?? undefined },
        to: { address: recipient, name: contactName(message.contact) },
        subject: rendered.subject,
        date: options.now?.() ?? new Date(),
        messageId: rendered.headers.messageId,
        inReplyTo: rendered.headers.inReplyTo,
        references: rendered.headers.references,
        text: rendered.text,
        html: rendered.html,
        attachments,
      });
    } catch (error) {
      if (error instanceof HeaderInjectionError)
        return permanentFailure('content_invalid', error.message);
      throw error;
    }

    try {
      const accepted = await sendMail(
        options.connectTcp,
        {
          host: settings.host,
          port: settings.port,
          security: settings.security ?? 'starttls',
          clientName: clientName(settings),
          ...(credentials?.username && credentials.password !== null
            ? {
                auth: {
                  username: credentials.username,
                  password: credentials.password,
                  ...(settings.authMethod ? { method: settings.authMethod } : {}),
                },
              }
            : {}),
          timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
        },
        { from: settings.fromAddress, to: recipient },
        mime,
      );
      return {
        status: 'sent',
        providerMessageId: rendered.headers.messageId,
        providerDetail: replyText(accepted),
      };
    } catch (error) {
      return classifySmtpFailure(error);
    }
  },
};
