import { expect, test } from 'vitest';
import { renderMessage } from './message';
import { browserHtml } from './preview-html';
import type { MediaFile } from './types';

const upload = (id: string, name: string, url: string): MediaFile => ({
  id,
  url,
  name,
  contentType: 'image/png',
  sizeBytes: 1000,
  storageKey: `ws/${id}`,
});

async function emailWith(files: MediaFile[]) {
  const rendered = await renderMessage({
    ctx: { contact: { firstName: 'Ada' }, now: new Date('2030-01-02T10:00:00Z'), timezone: 'UTC' },
    snippets: new Map(),
    files: new Map(files.map((file) => [file.id, file])),
    deliveryId: 'd-1',
    domain: 'mail.example.com',
    channelType: 'email',
    content: { type: 'media', fileId: files[0]!.id, caption: 'Hi $contact.firstname' },
    email: { subject: 'Hi', attachments: files.slice(1).map((file) => file.id) },
  });
  if (rendered.kind !== 'email') throw new Error(`expected an email, got ${rendered.kind}`);
  return rendered;
}

test('a preview shows inline images by their links; the email that is sent keeps cid:', async () => {
  const email = await emailWith([
    upload('cat', 'cat.png', 'https://sendflow.example.com/media/cat?expires=1&signature=s'),
    upload('dog', 'dog.png', 'https://sendflow.example.com/media/dog?expires=2&signature="t"'),
  ]);
  expect(email.html).toContain('src="cid:cat@media.sendflow"');
  const html = browserHtml(email);
  expect(html).not.toContain('cid:');
  // Escaped as any attribute value is.
  expect(html).toContain('src="https://sendflow.example.com/media/cat?expires=1&amp;signature=s"');
  expect(html).toContain(
    'src="https://sendflow.example.com/media/dog?expires=2&amp;signature=&quot;t&quot;"',
  );
  expect(html.replaceAll(/src="[^"]*"/g, '')).toBe(email.html.replaceAll(/src="[^"]*"/g, ''));
});

test('an inline image without a link (no PUBLIC_URL) keeps cid:', async () => {
  const email = await emailWith([upload('cat', 'cat.png', '')]);
  expect(browserHtml(email)).toBe(email.html);
});
