import { escapeHtml } from './html-escape';
import type { EmailMedia } from './types';

/**
 * The HTML of an email as a browser can show it: each inline image's `cid:` reference (RFC
 * 2392), which only a mail client resolves against the message's parts, becomes the file's
 * link (a signed link for an upload). For previews; the email that is sent keeps `cid:`, so
 * that clients show its images without fetching remote content. An image without a link (no
 * PUBLIC_URL) keeps `cid:`.
 */
export function browserHtml(email: { html: string; media: readonly EmailMedia[] }): string {
  let html = email.html;
  for (const file of email.media) {
    if (file.disposition !== 'inline' || !file.contentId || !file.url) continue;
    // As the renderer wrote it (rich-text-mjml.ts, imageToMjml): an escaped attribute value.
    html = html.split(`"${escapeHtml(`cid:${file.contentId}`)}"`).join(`"${escapeHtml(file.url)}"`);
  }
  return html;
}
