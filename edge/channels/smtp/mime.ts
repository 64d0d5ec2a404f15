import { assertHeaderValue } from '../../security/header-value';
import { encodeUnstructured, formatHeader, formatMailbox } from './header-encoding';
import { attachmentPart, type MimeAttachment } from './mime-attachments';
import { encodeQuotedPrintable } from './quoted-printable';

export type { MimeAttachment } from './mime-attachments';

/**
 * Builds the RFC 5322 message that goes after SMTP DATA: headers (with threading and MIME
 * headers) and a multipart/alternative body holding the plain-text part first and the HTML
 * part last, as RFC 2046 §5.1.4 orders alternatives (least to most preferred). With files:
 *
 *   multipart/mixed                      (RFC 2046 §5.1.3; only when there are attachments)
 *   ├─ multipart/related                 (RFC 2387; only when there are inline images)
 *   │  ├─ multipart/alternative          text/plain, then text/html
 *   │  └─ image/…                        inline, Content-ID, shown by the HTML as cid:
 *   └─ application/pdf …                 attachments
 */

export interface Mailbox {
  address: string;
  name?: string | null;
}

export interface MimeMessageInput {
  from: Mailbox;
  to: Mailbox;
  subject: string;
  date: Date;
  /** `<id@domain>`, as are the threading ids. */
  messageId: string;
  inReplyTo?: string;
  references: readonly string[];
  text: string;
  html: string;
  /** Files: inline images (with `contentId`) and attachments; none when absent. */
  attachments?: readonly MimeAttachment[];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;

const two = (value: number) => String(value).padStart(2, '0');

/** An RFC 5322 §3.3 date-time in UTC, e.g. `Wed, 02 Jan 2030 10:00:00 +0000`. */
export function formatEmailDate(date: Date): string {
  const day = DAYS[date.getUTCDay()];
  const month = MONTHS[date.getUTCMonth()];
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${day}, ${two(date.getUTCDate())} ${month} ${date.getUTCFullYear()} ${time} +0000`;
}

/**
 * A multipart boundary. `=_` cannot occur in quoted-printable output (`=` is always followed
 * by two hex digits or a line break there), so the boundary never collides with a part.
 */
function newBoundary(): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  return `=_sendflow_${Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

function textPart(contentType: string, body: string): string {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    'Content-Transfer-Encoding: quoted-printable',
    '',
    encodeQuotedPrintable(body),
  ].join('\r\n');
}

/**
 * The full message with CRLF line endings (not dot-stuffed: the SMTP client does that).
 * Throws HeaderInjectionError when any header value would carry CR/LF.
 */
export function buildMimeMessage(input: MimeMessageInput): string {
  // Checked before encoding: an encoded-word would hide a line break, not remove it.
  assertHeaderValue('Subject', input.subject);
  assertHeaderValue('From', `${input.from.name ?? ''} ${input.from.address}`);
  assertHeaderValue('To', `${input.to.name ?? ''} ${input.to.address}`);
  const headers = [
    formatHeader('From', formatMailbox(input.from.address, input.from.name)),
    formatHeader('To', formatMailbox(input.to.address, input.to.name)),
    formatHeader('Subject', encodeUnstructured(input.subject)),
    formatHeader('Date', formatEmailDate(input.date)),
    formatHeader('Message-ID', input.messageId),
  ];
  if (input.inReplyTo) headers.push(formatHeader('In-Reply-To', input.inReplyTo));
  if (input.references.length > 0) {
    headers.push(formatHeader('References', input.references.join(' ')));
  }
  const inline = (input.attachments ?? []).filter((file) => file.contentId);
  const attached = (input.attachments ?? []).filter((file) => !file.contentId);
  let body = multipart('alternative', [
    textPart('text/plain', input.text),
    textPart('text/html', input.html),
  ]);
  if (inline.length > 0) {
    body = multipart('related', [body, ...inline.map(attachmentPart)], 'multipart/alternative');
  }
  if (attached.length > 0) body = multipart('mixed', [body, ...attached.map(attachmentPart)]);
  return [...headers, 'MIME-Version: 1.0', body, ''].join('\r\n');
}

/**
 * A multipart entity: its Content-Type header (with a fresh boundary), a blank line, then each
 * part after a delimiter, and the close delimiter. `start` is the type of a multipart/related
 * root part (RFC 2387 §3.1 `type` parameter).
 */
function multipart(subtype: string, parts: string[], rootType?: string): string {
  const boundary = newBoundary();
  const type = rootType
    ? `multipart/${subtype}; type="${rootType}"; boundary="${boundary}"`
    : `multipart/${subtype}; boundary="${boundary}"`;
  return [
    formatHeader('Content-Type', type),
    '',
    ...parts.flatMap((part) => [`--${boundary}`, part]),
    `--${boundary}--`,
  ].join('\r\n');
}
