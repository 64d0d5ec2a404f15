import { readChannel } from '../channel-config';
import { type SmtpConnect, type SmtpSocket, sendMail } from '../smtp/client';
import { replyText } from '../smtp/errors';
import { outboundMime } from '../smtp/outbound-mime';
import { type ChannelAdapter, DEFAULT_SEND_TIMEOUT_MS, permanentFailure } from '../types';
import { emailSmtpDefinition } from './definition';
import { classifySmtpFailure, type SmtpSessionFacts } from './failures';

/** The EHLO name: the configured one, else the from-address domain (RFC 5321 §4.1.1.1). */
function clientName(settings: { heloName: string | null; fromAddress: string }): string {
  return settings.heloName ?? settings.fromAddress.slice(settings.fromAddress.lastIndexOf('@') + 1);
}

/**
 * `connect` with an eye on the session: records when the socket is handed to TLS after
 * STARTTLS, so that a failure on the next exchange is known to be the TLS negotiation's (the
 * runtime does the handshake inside `startTls()` and reports its failure only on the next read
 * or write, as any other broken connection).
 */
function watchedConnect(connect: SmtpConnect, facts: SmtpSessionFacts): SmtpConnect {
  const watch = (socket: SmtpSocket): SmtpSocket => ({
    get readable() {
      return socket.readable;
    },
    get writable() {
      return socket.writable;
    },
    get opened() {
      return socket.opened;
    },
    close: () => socket.close(),
    startTls() {
      facts.startedTls = true;
      return socket.startTls();
    },
  });
  return (address, options) => watch(connect(address, options));
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
    const built = await outboundMime(message, {
      from: { address: settings.fromAddress, name: settings.fromName ?? undefined },
      date: options.now?.() ?? new Date(),
      ...(options.media ? { media: options.media } : {}),
    });
    if (!built.ok) return built.outcome;

    const facts: SmtpSessionFacts = {};
    try {
      const accepted = await sendMail(
        watchedConnect(options.connectTcp, facts),
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
        { from: settings.fromAddress, to: message.recipient },
        built.mime,
      );
      return {
        status: 'sent',
        providerMessageId: built.messageId,
        providerDetail: replyText(accepted),
      };
    } catch (error) {
      return classifySmtpFailure(error, facts);
    }
  },
};
