import { createServer } from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { verifyStandardWebhook } from '../test/fakes/webhook-receiver';

/**
 * `npm run inbox`: a local place to watch messages arrive while `npm start` runs.
 * - SMTP on 127.0.0.1:2525 (plain; any AUTH accepted) for email channels: prints subject, addresses
 *   and the thread headers of every message.
 * - HTTP on 127.0.0.1:4000 for custom channels: prints every webhook and whether its
 *   Standard Webhooks signature verifies with INBOX_WEBHOOK_SECRET (when set).
 * Development only; both listen on loopback.
 */
const SMTP_PORT = Number(process.env.INBOX_SMTP_PORT ?? 2525);
const WEBHOOK_PORT = Number(process.env.INBOX_WEBHOOK_PORT ?? 4000);
const WEBHOOK_SECRET = process.env.INBOX_WEBHOOK_SECRET;

function print(kind: string, fields: Record<string, unknown>) {
  console.log(JSON.stringify({ at: new Date().toISOString(), kind, ...fields }));
}

const smtp = new SMTPServer({
  authOptional: true,
  // Plain connection on loopback: accept AUTH without TLS, and any username/password, so a
  // channel configured with credentials works against the inbox as it would against a provider.
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  onAuth(auth, _session, callback) {
    callback(null, { user: auth.username });
  },
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        print('email', {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          subject: mail.subject,
          messageId: mail.messageId,
          inReplyTo: mail.inReplyTo,
          references: mail.references,
          text: mail.text?.slice(0, 200),
        });
        callback();
      })
      .catch(callback);
  },
});

const webhooks = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = WEBHOOK_SECRET
      ? (verifyStandardWebhook(WEBHOOK_SECRET, request.headers, body) ?? 'valid')
      : 'not checked (set INBOX_WEBHOOK_SECRET)';
    print('webhook', {
      path: request.url,
      webhookId: request.headers['webhook-id'],
      signature,
      body: body.slice(0, 500),
    });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: `inbox-${Date.now()}` }));
  });
});

smtp.listen(SMTP_PORT, '127.0.0.1', () => {
  console.log(
    `SMTP inbox:    smtp://127.0.0.1:${SMTP_PORT} (security NONE; any username/password)`,
  );
});
webhooks.listen(WEBHOOK_PORT, '127.0.0.1', () => {
  console.log(`Webhook inbox: http://127.0.0.1:${WEBHOOK_PORT}/`);
});

function stop() {
  smtp.close(() => undefined);
  webhooks.close(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
