import { describe, expect, test } from 'vitest';
import type { RichTextBlock } from '../../workflow/types';
import type { RenderContext } from '../../workflow/variables';
import { type EmailTemplate, renderEmail, renderSubject } from './email';

const ctx: RenderContext = {
  contact: {
    firstName: '<script>alert("x")</script>',
    lastName: "O'Brien & Co",
    email: 'ada@example.com',
    customFields: { plan: 'Pro' },
  },
  trigger: { orderId: 'A-17', link: 'https://shop.example.com/o/A-17' },
  now: new Date('2030-01-02T10:00:00Z'),
  timezone: 'UTC',
};
const snippets = new Map([
  ['signature', 'The $contact.plan team'],
  ['greeting', 'Hello $contact.firstname'],
]);

const body: RichTextBlock[] = [
  { type: 'heading', level: 1, spans: [{ text: '$snippet.greeting' }] },
  {
    type: 'paragraph',
    spans: [
      { text: 'Your order ' },
      { text: '$trigger.orderId', bold: true },
      { text: ' ships to ' },
      { text: '$contact.country', italic: true },
      { text: '. ' },
      { text: 'Track it', link: '$trigger.link' },
      { text: ' or ' },
      { text: 'write to us', link: 'mailto:help@example.com?subject=$contact.lastname' },
    ],
  },
  { type: 'list', ordered: false, items: [[{ text: 'one $5 item' }], [{ text: 'two' }]] },
  { type: 'list', ordered: true, items: [[{ text: 'first' }]] },
  { type: 'paragraph', spans: [{ text: '$snippet.signature' }] },
];
const template: EmailTemplate = { subject: 'Order $trigger.orderId for $contact.firstname', body };

describe('the HTML part', () => {
  test('is a responsive MJML layout with the body blocks', async () => {
    const { html } = await renderEmail(template, { ctx, snippets }, { cache: false });
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/@media only screen and \(min-width:480px\)/);
    expect(html).toContain('max-width:600px');
    expect(html).toMatch(/<h1 [^>]*>Hello &lt;script&gt;/);
    expect(html).toContain('<strong>A-17</strong>');
    expect(html).toMatch(/<ul [^>]*><li [^>]*>one \$5 item<\/li>/);
    expect(html).toMatch(/<ol [^>]*><li [^>]*>first<\/li>/);
    expect(html).toContain('The Pro team');
  });

  test('escapes contact values', async () => {
    const { html } = await renderEmail(template, { ctx, snippets }, { cache: false });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  test('keeps a variable with no value as written', async () => {
    const { html, text } = await renderEmail(template, { ctx, snippets }, { cache: false });
    expect(html).toContain('<em>$contact.country</em>');
    expect(text).toContain('ships to $contact.country.');
  });

  test('percent-encodes values inside links and checks a link that is a whole variable', async () => {
    const { html } = await renderEmail(template, { ctx, snippets }, { cache: false });
    expect(html).toContain('href="https://shop.example.com/o/A-17"');
    expect(html).toContain('href="mailto:help@example.com?subject=O&#39;Brien%20%26%20Co"');
    const hostile = await renderEmail(
      { body: [{ type: 'paragraph', spans: [{ text: 'go', link: '$trigger.link' }] }] },
      { ctx: { ...ctx, trigger: { link: 'javascript:alert(1)' } }, snippets },
      { cache: false },
    );
    expect(hostile.html).toContain('href="#"');
    expect(hostile.html).not.toContain('javascript:');
  });

  test('drops links with unsafe schemes written by the author', async () => {
    const { html } = await renderEmail(
      { body: [{ type: 'paragraph', spans: [{ text: 'x', link: 'javascript:alert(1)' }] }] },
      { ctx, snippets },
      { cache: false },
    );
    expect(html).not.toContain('javascript:');
    expect(html).toContain('>x</p>');
  });
});

test('the text part holds the same content as plain text', async () => {
  const { text } = await renderEmail(template, { ctx, snippets }, { cache: false });
  expect(text).toBe(
    [
      'Hello <script>alert("x")</script>',
      "Your order A-17 ships to $contact.country. Track it (https://shop.example.com/o/A-17) or write to us (mailto:help@example.com?subject=O'Brien%20%26%20Co)",
      '- one $5 item\n- two',
      '1. first',
      'The Pro team',
    ].join('\n\n'),
  );
});

test('the text part links where the HTML part does: values encoded, unsafe links dropped', async () => {
  const spans = [
    { text: 'Unsubscribe', link: 'https://shop.example.com/unsub?email=$contact.email' },
    { text: ' / ' },
    { text: 'track', link: '$trigger.link' },
    { text: ' / ' },
    { text: 'run', link: 'javascript:alert(1)' },
  ];
  const hostile = {
    ...ctx,
    contact: { ...ctx.contact, email: 'a+b@example.com&admin=1#top' },
    trigger: { link: 'javascript:alert(1)' },
  };
  const { html, text } = await renderEmail(
    { body: [{ type: 'paragraph', spans }] },
    { ctx: hostile, snippets },
    { cache: false },
  );
  const encoded = 'https://shop.example.com/unsub?email=a%2Bb%40example.com%26admin%3D1%23top';
  expect(html).toContain(`href="${encoded}"`);
  // The same URL in the text part, not the raw value (which would add a parameter and a
  // fragment, and turn `+` into a space); no `javascript:` link, whoever wrote it.
  expect(text).toBe(`Unsubscribe (${encoded}) / track / run`);
});

describe('the subject', () => {
  test('is interpolated with snippets expanded', () => {
    expect(renderSubject('Hi $contact.email, $snippet.signature', ctx, snippets)).toBe(
      'Hi ada@example.com, The Pro team',
    );
  });

  test('is blank when the step has none', async () => {
    expect((await renderEmail({ body }, { ctx, snippets })).subject).toBe('');
    expect(renderSubject(null, ctx, snippets)).toBe('');
  });

  test('never carries CR/LF from a contact value or the template', () => {
    const hostile: RenderContext = {
      ...ctx,
      contact: { firstName: 'Ada\r\nBcc: all@example.com' },
    };
    const subject = renderSubject('Hi $contact.firstname\nthere', hostile, snippets);
    expect(subject).toBe('Hi Ada Bcc: all@example.com there');
    expect(subject).not.toMatch(/[\r\n]/);
  });

  test('never carries other line breaks or control characters from a value either', () => {
    // NEL, VT, FF, U+2028/U+2029 end lines for some readers (Python's str.splitlines() among
    // them); tabs and other controls have no place in a subject line either.
    const hostile: RenderContext = {
      ...ctx,
      trigger: {
        note: 'Ada\u0085Bcc: all@example.com\u2028x\u2029y\u000bz\u000cw\tv\u0000u\u007ft',
      },
    };
    const subject = renderSubject('Hi $trigger.note\u2028there', hostile, snippets);
    expect(subject).toBe('Hi Ada Bcc: all@example.com x y z w v u t there');
  });
});

describe('compiled-template reuse', () => {
  test('gives the same output as compiling per send, for every contact', async () => {
    const contacts = [ctx, { ...ctx, contact: { firstName: 'Zoë', email: 'z@example.com' } }];
    for (const each of contacts) {
      const cached = await renderEmail(template, { ctx: each, snippets, templateKey: 'v1:s1' });
      const again = await renderEmail(template, { ctx: each, snippets, templateKey: 'v1:s1' });
      const uncached = await renderEmail(template, { ctx: each, snippets }, { cache: false });
      expect(cached).toEqual(uncached);
      expect(again).toEqual(uncached);
    }
  });

  test('recompiles when a snippet changes under the same template key', async () => {
    const key = 'v1:snippet-change';
    const before = await renderEmail(template, { ctx, snippets, templateKey: key });
    const edited = new Map(snippets).set('signature', 'Cheers, support');
    const after = await renderEmail(template, { ctx, snippets: edited, templateKey: key });
    expect(before.html).toContain('The Pro team');
    expect(after.html).toContain('Cheers, support');
    expect(after.html).not.toContain('The Pro team');
  });

  test('a contact value that looks like a variable is not interpolated again', async () => {
    const sneaky: RenderContext = {
      ...ctx,
      contact: { firstName: '$contact.email', email: 'secret@x' },
    };
    const { html } = await renderEmail(template, { ctx: sneaky, snippets, templateKey: 'v1:s1' });
    expect(html).toMatch(/Hello \$contact\.email</);
    expect(html).not.toContain('secret@x');
  });
});
