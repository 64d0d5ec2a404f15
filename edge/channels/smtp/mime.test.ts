import { simpleParser } from 'mailparser';
import { expect, test } from 'vitest';
import { HeaderInjectionError } from '../../security/header-value';
import { buildMimeMessage, formatEmailDate, type MimeMessageInput } from './mime';

const longSubject = `Ünïcödé subject with emoji 🎉 that is long enough to need several encoded-words ${'é'.repeat(40)}`;
const references = Array.from(
  { length: 12 },
  (_, index) => `<0b7f3c8e-2f55-4d8e-9d0a-${String(index).padStart(12, '0')}@mail.example.com>`,
);

const input: MimeMessageInput = {
  from: { address: 'team@example.com', name: 'Team "Ops" \\ Support' },
  to: { address: 'zoe@example.net', name: 'Zoë Ørsted' },
  subject: longSubject,
  date: new Date('2030-01-02T03:04:05Z'),
  messageId: '<m13@mail.example.com>',
  inReplyTo: references.at(-1),
  references,
  text: `Line with trailing spaces   \n= sign and a very long line ${'x'.repeat(200)}\n.starts with a dot\nZoë 👋`,
  html: `<p style="margin:0">${'<b>bold</b> '.repeat(40)}Zoë 👋</p>`,
};

test('a real MIME parser reads back every header and both parts', async () => {
  const parsed = await simpleParser(buildMimeMessage(input));
  expect(parsed.subject).toBe(longSubject);
  expect(parsed.messageId).toBe('<m13@mail.example.com>');
  expect(parsed.inReplyTo).toBe(references.at(-1));
  expect(parsed.references).toEqual(references);
  expect(parsed.date?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
  expect(parsed.from?.value).toEqual([
    { address: 'team@example.com', name: 'Team "Ops" \\ Support' },
  ]);
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  expect(to?.value).toEqual([{ address: 'zoe@example.net', name: 'Zoë Ørsted' }]);
  expect(parsed.text).toBe(input.text);
  expect(parsed.html).toBe(input.html);
});

test('keeps every line within SMTP limits and headers folded near 78 characters', () => {
  const raw = buildMimeMessage(input);
  const lines = raw.split('\r\n');
  expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
  const words = raw.match(/=\?UTF-8\?B\?[^?]*\?=/g) ?? [];
  expect(words.length).toBeGreaterThan(2);
  for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
});

test('a plain ASCII word too long to fold becomes encoded-words, not an over-long line', async () => {
  // RFC 5322 §2.1.1: lines MUST stay within 998 characters, SHOULD within 78; folding only
  // happens at whitespace, so such a word can only be split as encoded-words (RFC 2047 §2).
  const subject = `Your link https://example.com/${'a'.repeat(1200)} and a name`;
  const name = `Team${'b'.repeat(1100)}`;
  const raw = buildMimeMessage({ ...input, subject, from: { address: 'team@example.com', name } });
  for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  const parsed = await simpleParser(raw);
  expect(parsed.subject).toBe(subject);
  expect(parsed.from?.value).toEqual([{ address: 'team@example.com', name }]);
});

test('a run of spaces never leaves a header line of only white space (RFC 5322 §3.2.2, §4.2)', async () => {
  // A line of only spaces ends the header section for some parsers, which would read the rest
  // of the headers (Message-ID, MIME-Version, Content-Type) as body text.
  const subject = `Hi${' '.repeat(200)}there, ${'x'.repeat(10)}${' '.repeat(1500)}end`;
  const name = `Team${' '.repeat(120)}Ops`;
  const raw = buildMimeMessage({ ...input, subject, from: { address: 'team@example.com', name } });
  const header = raw.slice(0, raw.indexOf('\r\n\r\n'));
  for (const line of header.split('\r\n')) {
    expect(line, JSON.stringify(line)).toMatch(/\S/);
    expect(line.length).toBeLessThanOrEqual(78);
  }
  const parsed = await simpleParser(raw);
  expect(parsed.subject).toBe(subject);
  expect(parsed.from?.value).toEqual([{ address: 'team@example.com', name }]);
  expect(parsed.messageId).toBe(input.messageId);
});

test('orders the alternatives plain text first, HTML last', () => {
  const raw = buildMimeMessage(input);
  expect(raw).toMatch(
    /^Content-Type: multipart\/alternative;\r\n boundary="=_sendflow_[0-9a-f]{24}"$/m,
  );
  expect(raw.indexOf('Content-Type: text/plain')).toBeLessThan(
    raw.indexOf('Content-Type: text/html'),
  );
});

test('leaves out In-Reply-To and References for the first message of a thread', () => {
  const raw = buildMimeMessage({ ...input, inReplyTo: undefined, references: [] });
  expect(raw).not.toMatch(/^In-Reply-To:/m);
  expect(raw).not.toMatch(/^References:/m);
});

test('refuses a subject or name that would start a new header', () => {
  expect(() => buildMimeMessage({ ...input, subject: 'Hi\r\nBcc: all@example.com' })).toThrow(
    HeaderInjectionError,
  );
  expect(() =>
    buildMimeMessage({ ...input, to: { address: 'a@b.c', name: 'Eve\nBcc: x@y.z' } }),
  ).toThrow(HeaderInjectionError);
});

test('formats dates as RFC 5322 date-time in UTC', () => {
  expect(formatEmailDate(new Date('2030-01-02T03:04:05Z'))).toBe('Wed, 02 Jan 2030 03:04:05 +0000');
});

const pixel = new Uint8Array(3000).map((_, index) => (index * 7) % 256);
const pdf = new TextEncoder().encode(`%PDF-1.4\n${'binary '.repeat(500)}\n%%EOF`);
const longName = `Conditions générales de vente — édition ${'très '.repeat(20)}longue.pdf`;

test('carries an inline image (multipart/related) and an attachment (multipart/mixed)', async () => {
  const raw = buildMimeMessage({
    ...input,
    html: '<p>Look</p><img src="cid:f00d@sendflow.test" alt="cat.png">',
    attachments: [
      {
        fileName: 'cat.png',
        contentType: 'image/png',
        content: pixel,
        contentId: 'f00d@sendflow.test',
      },
      { fileName: longName, contentType: 'application/pdf', content: pdf },
    ],
  });
  expect(raw).toMatch(/^Content-Type: multipart\/mixed;/m);
  expect(raw).toMatch(/^Content-Type: multipart\/related;/m);
  expect(raw.indexOf('multipart/mixed')).toBeLessThan(raw.indexOf('multipart/related'));
  expect(raw.indexOf('multipart/related')).toBeLessThan(
    raw.indexOf('Content-Type: multipart/alternative'),
  );
  for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);

  const parsed = await simpleParser(raw);
  expect(parsed.text).toBe(input.text);
  expect(parsed.attachments).toHaveLength(2);
  const [image, document] = parsed.attachments;
  expect(image).toMatchObject({
    filename: 'cat.png',
    contentType: 'image/png',
    contentDisposition: 'inline',
    cid: 'f00d@sendflow.test',
    related: true,
  });
  expect(new Uint8Array(image!.content)).toEqual(pixel);
  expect(document).toMatchObject({
    filename: longName,
    contentType: 'application/pdf',
    contentDisposition: 'attachment',
  });
  expect(new Uint8Array(document!.content)).toEqual(pdf);
});

test('sends attachments without inline images as multipart/mixed around the alternative', async () => {
  const raw = buildMimeMessage({
    ...input,
    attachments: [{ fileName: 'terms.pdf', contentType: 'application/pdf', content: pdf }],
  });
  expect(raw).not.toMatch(/multipart\/related/);
  const parsed = await simpleParser(raw);
  expect(parsed.html).toBe(input.html);
  expect(parsed.attachments.map((file) => file.filename)).toEqual(['terms.pdf']);
});

test('labels a text attachment UTF-8, as the library stores text, so a mail client does not read it as US-ASCII', async () => {
  const notes = new TextEncoder().encode('Grüße, Zoë 👋\n');
  const raw = buildMimeMessage({
    ...input,
    attachments: [{ fileName: 'notes.txt', contentType: 'text/plain', content: notes }],
  });
  expect(raw).toMatch(/Content-Type: text\/plain;\r\n charset=utf-8;\r\n name="notes.txt"/);
  const [attachment] = (await simpleParser(raw)).attachments;
  expect(attachment?.contentType).toBe('text/plain');
  expect(new TextDecoder().decode(attachment?.content)).toBe('Grüße, Zoë 👋\n');
  // Other types carry no charset.
  const pdfRaw = buildMimeMessage({
    ...input,
    attachments: [{ fileName: 'terms.pdf', contentType: 'application/pdf', content: pdf }],
  });
  expect(pdfRaw).toMatch(/Content-Type: application\/pdf;\r\n name="terms.pdf"/);
});

test('refuses a Content-ID that would break out of its header', () => {
  expect(() =>
    buildMimeMessage({
      ...input,
      attachments: [
        {
          fileName: 'a.png',
          contentType: 'image/png',
          content: pixel,
          contentId: 'x>\r\nBcc: y@z',
        },
      ],
    }),
  ).toThrow(/Content-ID/);
});
