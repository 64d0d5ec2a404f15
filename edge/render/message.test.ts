import { expect, test } from 'vitest';
import type { RenderContext } from '../../workflow/variables';
import { type RenderMessageInput, renderMessage } from './message';
import { RenderError } from './render-error';
import type { MediaFile } from './types';

const ctx: RenderContext = {
  contact: { firstName: 'Ada', email: 'ada@example.com' },
  now: new Date('2030-01-02T10:00:00Z'),
  timezone: 'UTC',
};
const MEGABYTE = 1024 * 1024;
const upload = (id: string, name: string, contentType: string, sizeBytes: number) => ({
  id,
  url: `https://sendflow.example.com/media/${id}?expires=1&signature=s`,
  name,
  contentType,
  sizeBytes,
  storageKey: `ws/${id}`,
});
const files = new Map<string, MediaFile>([
  [
    'file-1',
    {
      id: 'file-1',
      url: 'https://files.example.com/menu.pdf',
      name: 'menu.pdf',
      contentType: 'application/pdf',
      sizeBytes: 1000,
    },
  ],
  ['cat', upload('cat', 'cat.png', 'image/png', 2 * MEGABYTE)],
  ['terms', upload('terms', 'terms.pdf', 'application/pdf', 3 * MEGABYTE)],
  ['video', upload('video', 'tour.mp4', 'video/mp4', 9 * MEGABYTE)],
  ['unlinked', { ...upload('unlinked', 'x.png', 'image/png', 10), url: '' }],
]);
const base: Omit<RenderMessageInput, 'content' | 'channelType'> = {
  ctx,
  snippets: new Map([['hours', 'Open 9–5, $contact.firstname']]),
  files,
  deliveryId: 'd-1',
  domain: 'mail.example.com',
};

test('a text message on a non-email channel is text with snippets then variables filled in', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'custom',
    content: { type: 'text', text: 'Hi $contact.firstname 👋 $snippet.hours $contact.country' },
  });
  expect(rendered).toEqual({ kind: 'text', text: 'Hi Ada 👋 Open 9–5, Ada $contact.country' });
});

test('a media message on a non-email channel carries the file URL and the caption', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'telegram',
    content: { type: 'media', fileId: 'file-1', caption: 'For $contact.firstname' },
  });
  expect(rendered).toEqual({
    kind: 'media',
    url: 'https://files.example.com/menu.pdf',
    fileName: 'menu.pdf',
    contentType: 'application/pdf',
    caption: 'For Ada',
  });
});

test('WhatsApp templates and Messenger tagged messages are rendered field by field', async () => {
  expect(
    await renderMessage({
      ...base,
      channelType: 'whatsapp',
      content: {
        type: 'whatsapp_template',
        templateName: 'order_update',
        languageCode: 'en',
        parameters: ['$contact.firstname', '$snippet.hours'],
      },
    }),
  ).toEqual({
    kind: 'whatsapp_template',
    templateName: 'order_update',
    languageCode: 'en',
    parameters: ['Ada', 'Open 9–5, Ada'],
  });
  expect(
    await renderMessage({
      ...base,
      channelType: 'whatsapp',
      content: {
        type: 'whatsapp_template',
        templateName: 'shipping_link',
        languageCode: 'en',
        parameters: [],
        headerParameters: ['For $contact.firstname'],
        buttonParameters: [{ index: 1, text: 'u/$contact.firstname' }],
      },
    }),
  ).toMatchObject({
    headerParameters: ['For Ada'],
    buttonParameters: [{ index: 1, text: 'u/Ada' }],
  });
  expect(
    await renderMessage({
      ...base,
      channelType: 'messenger',
      content: { type: 'messenger_tagged', tag: 'ACCOUNT_UPDATE', text: 'Hi $contact.firstname' },
    }),
  ).toEqual({ kind: 'messenger_tagged', tag: 'ACCOUNT_UPDATE', text: 'Hi Ada' });
});

test('an email uses the step rich-text body, the subject and the thread headers', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'email',
    content: { type: 'text', text: 'ignored when a body is given' },
    email: {
      subject: 'Hello $contact.firstname',
      body: [{ type: 'paragraph', spans: [{ text: 'Body for $contact.firstname' }] }],
    },
    thread: { messageIds: ['<d-0@mail.example.com>'] },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  expect(rendered.subject).toBe('Hello Ada');
  expect(rendered.html).toContain('Body for Ada');
  expect(rendered.text).toBe('Body for Ada');
  expect(rendered.headers).toEqual({
    messageId: '<d-1@mail.example.com>',
    inReplyTo: '<d-0@mail.example.com>',
    references: ['<d-0@mail.example.com>'],
  });
  expect(rendered.media).toEqual([]);
});

test('an email without a body uses the text message as paragraphs', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'email',
    content: { type: 'text', text: 'First $contact.firstname\n\nSecond' },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  expect(rendered.subject).toBe('');
  expect(rendered.text).toBe('First Ada\n\nSecond');
  expect(rendered.headers).toEqual({ messageId: '<d-1@mail.example.com>', references: [] });
});

test('a media message by email links to the file', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'email',
    content: { type: 'media', fileId: 'file-1', caption: 'Our menu' },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  expect(rendered.html).toContain('href="https://files.example.com/menu.pdf"');
  expect(rendered.text).toBe('Our menu\n\nmenu.pdf (https://files.example.com/menu.pdf)');
  expect(rendered.media).toEqual([
    {
      url: 'https://files.example.com/menu.pdf',
      fileName: 'menu.pdf',
      contentType: 'application/pdf',
      sizeBytes: 1000,
      disposition: 'link',
    },
  ]);
});

test('an uploaded image shows inline by cid and an uploaded PDF is attached and named', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'email',
    content: { type: 'media', fileId: 'cat', caption: 'Our cat' },
    email: { subject: 'Hi', attachments: ['terms'] },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  expect(
    rendered.media.map(({ fileName, disposition, contentId, storageKey }) => ({
      fileName,
      disposition,
      contentId,
      storageKey,
    })),
  ).toEqual([
    {
      fileName: 'cat.png',
      disposition: 'inline',
      contentId: 'cat@media.sendflow',
      storageKey: 'ws/cat',
    },
    {
      fileName: 'terms.pdf',
      disposition: 'attachment',
      contentId: undefined,
      storageKey: 'ws/terms',
    },
  ]);
  expect(rendered.html).toContain('src="cid:cat@media.sendflow"');
  expect(rendered.html).toContain('alt="cat.png"');
  expect(rendered.html).not.toContain('/media/cat');
  expect(rendered.text).toBe('Our cat\n\nAttached: terms.pdf\n\n[image: cat.png]');
});

test('file names and file links are shown as they are, never read as variables or snippets', async () => {
  // A name is data: `$contact.email` in it must not put the contact's address in the email,
  // where the attached file itself keeps the name as written.
  const named = new Map<string, MediaFile>([
    ['report', upload('report', 'Q4 $contact.email $snippet.hours.pdf', 'application/pdf', 10)],
    ['photo', upload('photo', 'me $contact.firstname.png', 'image/png', 10)],
    [
      'remote',
      {
        id: 'remote',
        url: 'https://files.example.com/$contact.firstname/list.pdf',
        name: 'list $contact.firstname.pdf',
        contentType: 'application/pdf',
        sizeBytes: 10,
      },
    ],
  ]);
  const rendered = await renderMessage({
    ...base,
    files: named,
    channelType: 'email',
    content: { type: 'media', fileId: 'photo', caption: 'For $contact.firstname' },
    email: { subject: 'Hi', attachments: ['report', 'remote'] },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  expect(rendered.text).toBe(
    [
      'For Ada',
      'Attached: Q4 $contact.email $snippet.hours.pdf',
      'list $contact.firstname.pdf (https://files.example.com/$contact.firstname/list.pdf)',
      '[image: me $contact.firstname.png]',
    ].join('\n\n'),
  );
  expect(rendered.html).toContain('For Ada');
  expect(rendered.html).not.toContain('ada@example.com');
  expect(rendered.html).not.toContain('Open 9–5');
  expect(rendered.html).not.toMatch(/Ada\.png|list Ada|\/Ada\//);
  // Shown as written (`&#36;` is `$`).
  expect(rendered.html).toContain('Q4 &#36;contact.email &#36;snippet.hours.pdf');
  expect(rendered.html).toContain('alt="me &#36;contact.firstname.png"');
  expect(rendered.html).toContain(
    'href="https://files.example.com/&#36;contact.firstname/list.pdf"',
  );
});

test('files past the attachment cap go as signed links', async () => {
  const rendered = await renderMessage({
    ...base,
    channelType: 'email',
    content: { type: 'media', fileId: 'video' },
    email: { attachments: ['terms', 'cat'] },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  // 9 MB of video fits the 10 MB cap; the 3 MB PDF would not, the 2 MB image neither.
  expect(rendered.media.map((file) => file.disposition)).toEqual(['attachment', 'link', 'link']);
  expect(rendered.text).toContain('terms.pdf (https://sendflow.example.com/media/terms?');
  expect(rendered.html).toContain(
    'href="https://sendflow.example.com/media/cat?expires=1&amp;signature=s"',
  );
});

test('an upload that must be linked without a link (no PUBLIC_URL) fails with content_invalid', async () => {
  await expect(
    renderMessage({
      ...base,
      channelType: 'telegram',
      content: { type: 'media', fileId: 'unlinked' },
    }),
  ).rejects.toMatchObject({
    reason: 'content_invalid',
    message: expect.stringContaining('PUBLIC_URL'),
  });
  await expect(
    renderMessage({
      ...base,
      channelType: 'email',
      content: { type: 'text', text: 'x' },
      email: { attachments: ['gone'] },
    }),
  ).rejects.toBeInstanceOf(RenderError);
});

test('content that cannot be sent as configured fails with content_invalid', async () => {
  const missingFile = renderMessage({
    ...base,
    channelType: 'sms',
    content: { type: 'media', fileId: 'gone' },
  });
  await expect(missingFile).rejects.toBeInstanceOf(RenderError);
  await expect(missingFile).rejects.toMatchObject({ reason: 'content_invalid' });
  await expect(
    renderMessage({
      ...base,
      channelType: 'email',
      content: { type: 'whatsapp_template', templateName: 't', languageCode: 'en', parameters: [] },
    }),
  ).rejects.toBeInstanceOf(RenderError);
  await expect(
    renderMessage({
      ...base,
      channelType: 'email',
      domain: 'bad domain',
      content: { type: 'text', text: 'x' },
    }),
  ).rejects.toBeInstanceOf(RenderError);
});
