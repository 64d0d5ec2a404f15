import { connect } from 'cloudflare:sockets';
import { HeaderInjectionError, stripLineBreaks } from '../security/header-value';
import { privateServerHostReason } from '../security/outbound-url';
import { classifySmtpFailure } from './email-failures';
import { isEmailAddress, parseSmtpSettings } from './email-settings';
import { sendMail } from './smtp/client';
import { replyText } from './smtp/errors';
import { buildMimeMessage } from './smtp/mime';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  type OutboundMessage,
  permanentFailure,
} from './types';

/** The contact's display name for the To header, without line breaks. */
function contactName(contact: OutboundMessage['contact']): string | undefined {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  return name ? stripLineBreaks(name) : undefined;
}

/**
 * Email over SMTP, spoken from the Worker over a TCP socket (`cloudflare:sockets`) with
 * STARTTLS or implicit TLS and AUTH PLAIN/LOGIN as the channel is configured. The Message-ID
 * comes from the delivery id (edge/render/thread-headers.ts), so a retried delivery is the
 * same message to the receiver; it is also the provider message id recorded.
 */
export const emailAdapter: ChannelAdapter = {
  type: 'email',
  async send(message, options) {
    const parsed = parseSmtpSettings(message.channel);
    if (!parsed.ok) return permanentFailure('channel_not_connected', parsed.detail);
    const { settings } = parsed;
    if (!options.allowPrivateUrls) {
      const reason = privateServerHostReason(settings.host);
      if (reason) {
        return permanentFailure(
          'channel_not_connected',
          `the SMTP host ${settings.host} is a ${reason} address`,
        );
      }
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

    let mime: string;
    try {
      mime = buildMimeMessage({
        from: { address: settings.fromAddress, name: settings.fromName },
        to: { address: recipient, name: contactName(message.contact) },
        subject: rendered.subject,
        date: options.now?.() ?? new Date(),
        messageId: rendered.headers.messageId,
        inReplyTo: rendered.headers.inReplyTo,
        references: rendered.headers.references,
        text: rendered.text,
        html: rendered.html,
      });
    } catch (error) {
      if (error instanceof HeaderInjectionError)
        return permanentFailure('content_invalid', error.message);
      throw error;
    }

    try {
      const accepted = await sendMail(
        connect,
        {
          host: settings.host,
          port: settings.port,
          security: settings.security,
          clientName: settings.clientName,
          auth: settings.auth,
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
