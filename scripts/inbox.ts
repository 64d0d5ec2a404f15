import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInbox } from './inbox-servers';

/**
 * `npm run inbox`: a local place to watch messages arrive while `npm start` runs.
 * - SMTP on 127.0.0.1:2525 for email channels: prints subject, addresses and thread headers,
 *   and writes each message to `.data/inbox/` as `.eml` (open it in a mail client) and `.html`
 *   (open it in a browser), printing their paths.
 * - HTTP on 127.0.0.1:4000 for custom channels: prints every webhook and whether its Standard
 *   Webhooks signature verifies with INBOX_WEBHOOK_SECRET (the channel's signing secret).
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataDir = resolve(process.env.SENDFLOW_DATA_DIR ?? resolve(ROOT, '.data'));

const inbox = await startInbox({
  smtpPort: Number(process.env.INBOX_SMTP_PORT ?? 2525),
  webhookPort: Number(process.env.INBOX_WEBHOOK_PORT ?? 4000),
  webhookSecret: process.env.INBOX_WEBHOOK_SECRET,
  saveTo: resolve(dataDir, 'inbox'),
  onMessage(message) {
    console.log(JSON.stringify({ at: new Date().toISOString(), ...message }));
  },
});
console.log(
  `SMTP inbox:    smtp://127.0.0.1:${inbox.smtpPort} (security NONE; any username/password)`,
);
console.log(`Webhook inbox: ${inbox.webhookUrl}`);
console.log(`Emails are saved in ${resolve(dataDir, 'inbox')} (.eml and .html)`);

function stop() {
  void inbox.close().then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
