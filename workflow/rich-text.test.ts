import { describe, expect, it } from 'vitest';
import { richTextTexts, richTextToPlainText, textToRichText } from './rich-text';
import type { RichTextBlock } from './types';

const body: RichTextBlock[] = [
  { type: 'heading', level: 1, spans: [{ text: 'Hello $contact.firstname' }] },
  {
    type: 'paragraph',
    spans: [
      { text: 'Read ', bold: true },
      { text: 'our guide', link: 'https://example.com/guide' },
      { text: '.' },
    ],
  },
  { type: 'list', ordered: false, items: [[{ text: 'one' }], [{ text: 'two' }]] },
  {
    type: 'list',
    ordered: true,
    items: [[{ text: 'first' }], [{ text: 'mail', link: 'mailto:help@example.com' }]],
  },
];

describe('richTextToPlainText', () => {
  it('separates blocks with blank lines, marks list items and writes links as text (url)', () => {
    expect(richTextToPlainText(body, (text) => text)).toBe(
      [
        'Hello $contact.firstname',
        '',
        'Read our guide (https://example.com/guide).',
        '',
        '- one',
        '- two',
        '',
        '1. first',
        '2. mail (mailto:help@example.com)',
      ].join('\n'),
    );
  });

  it('renders every span text and link through renderText', () => {
    const blocks: RichTextBlock[] = [
      { type: 'paragraph', spans: [{ text: 'Hi NAME', link: 'https://x.io/NAME' }] },
    ];
    expect(richTextToPlainText(blocks, (text) => text.replace('NAME', 'Ada'))).toBe(
      'Hi Ada (https://x.io/Ada)',
    );
  });

  it('writes a link whose text is its URL only once', () => {
    const blocks: RichTextBlock[] = [
      { type: 'paragraph', spans: [{ text: 'https://x.io', link: 'https://x.io' }] },
    ];
    expect(richTextToPlainText(blocks, (text) => text)).toBe('https://x.io');
  });

  it('renders an empty body as empty text', () => {
    expect(richTextToPlainText([], (text) => text)).toBe('');
  });
});

describe('richTextTexts', () => {
  it('lists every span text and link with its path', () => {
    expect(richTextTexts(body, 'email.body')).toEqual([
      { path: 'email.body[0].spans[0].text', text: 'Hello $contact.firstname' },
      { path: 'email.body[1].spans[0].text', text: 'Read ' },
      { path: 'email.body[1].spans[1].text', text: 'our guide' },
      { path: 'email.body[1].spans[1].link', text: 'https://example.com/guide' },
      { path: 'email.body[1].spans[2].text', text: '.' },
      { path: 'email.body[2].items[0][0].text', text: 'one' },
      { path: 'email.body[2].items[1][0].text', text: 'two' },
      { path: 'email.body[3].items[0][0].text', text: 'first' },
      { path: 'email.body[3].items[1][0].text', text: 'mail' },
      { path: 'email.body[3].items[1][0].link', text: 'mailto:help@example.com' },
    ]);
  });

  it('starts paths at the block index when no prefix is given', () => {
    expect(richTextTexts([{ type: 'paragraph', spans: [{ text: 'x' }] }])).toEqual([
      { path: '[0].spans[0].text', text: 'x' },
    ]);
  });
});

describe('textToRichText', () => {
  it('splits plain text into paragraphs on blank lines', () => {
    expect(
      textToRichText('Hi $contact.firstname,\n\nYour order shipped.\nThanks!\r\n \r\nBye'),
    ).toEqual([
      { type: 'paragraph', spans: [{ text: 'Hi $contact.firstname,' }] },
      { type: 'paragraph', spans: [{ text: 'Your order shipped.\nThanks!' }] },
      { type: 'paragraph', spans: [{ text: 'Bye' }] },
    ]);
  });

  it('drops empty paragraphs', () => {
    expect(textToRichText('\n\n\n\nonly\n\n\n')).toEqual([
      { type: 'paragraph', spans: [{ text: 'only' }] },
    ]);
    expect(textToRichText('   ')).toEqual([]);
  });

  it('round-trips to the same plain text', () => {
    const text = 'First paragraph.\n\nSecond one,\nwith a line break.';
    expect(richTextToPlainText(textToRichText(text), (t) => t)).toBe(text);
  });
});
