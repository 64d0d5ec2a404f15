import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { verifyStandardWebhook } from '../test/fakes/webhook-receiver';

/** One message the inbox received. */
export type InboxMessage =
  | {
      kind: 'email';
      from: string | null;
      to: string[];
      subject: string | undefined;
      messageId: string | undefined;
      inReplyTo: string | undefined;
      references: string | string[] | undefined;
      text: string | undefined;
      /** The message as received (.eml) and its HTML part (.html), when `saveTo` is set. */
      files?: { eml: string; html?: string };
    }
  | {
      kind: 'webhook';
      path: string | undefined;
      webhookId: string | undefined;
      /** 'valid', the reason it does not verify, or that no secret was given. */
      signature: string;
      body: string;
    };

export interface InboxOptions {
  smtpPort: number;
  webhookPort: number;
  /** The custom channel's signing secret (`whsec_…`): webhooks are verified with it. */
  webhookSecret?: string | undefined;
  /** A folder to write each email into, as `<n>.eml` and `<n>.html`. */
  saveTo?: string | undefined;
  onMessage(message: InboxMessage): void;
}

export interface Inbox {
  smtpPort: number;
  webhookUrl: string;
  close(): Promise<void>;
}

/**
 * Local stand-ins for what Sendflow sends to: an SMTP server (plain, any AUTH accepted, so a
 * channel configured with credentials works as against a provider) and an HTTP endpoint for
 * custom channels that checks Standard Webhooks signatures. Loopback only; development only.
 * Used by `npm run inbox` and `npm run example`.
 */
export async function startInbox(options: InboxOptions): Promise<Inbox> {
  let saved = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        try {
          const raw = Buffer.concat(chunks);
          const mail = await simpleParser(raw);
          let files: { eml: string; html?: string } | undefined;
          if (options.saveTo) {
            await mkdir(options.saveTo, { recursive: true });
            const base = join(options.saveTo, `${Date.now()}-${++saved}`);
            files = { eml: `${base}.eml` };
            await writeFile(files.eml, raw);
            if (typeof mail.html === 'string') {
              files.html = `${base}.html`;
              await writeFile(files.html, mail.html);
            }
          }
          options.onMessage({
            kind: 'email',
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: mail.subject,
            messageId: mail.messageId,
            inReplyTo: mail.inReplyTo,
            references: mail.references,
            text: mail.text?.slice(0, 200),
            ...(files ? { files } : {}),
          });
          callback();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });

  const webhooks: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = options.webhookSecret
        ? (verifyStandardWebhook(options.webhookSecret, request.headers, body) ?? 'valid')
        : 'not checked (set INBOX_WEBHOOK_SECRET to the channel signing secret)';
      options.onMessage({
        kind: 'webhook',
        path: request.url,
        webhookId: request.headers['webhook-id'] as string | undefined,
        signature,
        body: body.slice(0, 500),
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: `inbox-${Date.now()}` }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(options.smtpPort, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    webhooks.once('error', reject);
    webhooks.listen(options.webhookPort, '127.0.0.1', () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const webhookPort = (webhooks.address() as AddressInfo).port;
  return {
    smtpPort,
    webhookUrl: `http://127.0.0.1:${webhookPort}/`,
    close: async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      webhooks.closeAllConnections();
      await new Promise<void>((resolve) => webhooks.close(() => resolve()));
    },
  };
}
