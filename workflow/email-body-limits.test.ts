import { describe, expect, it } from 'vitest';
import {
  MAX_EMAIL_BLOCK_LENGTH,
  MAX_EMAIL_BLOCK_PARTS,
  MAX_EMAIL_BODY_BLOCKS,
  MAX_EMAIL_BODY_LENGTH,
  MAX_LINK_LENGTH,
} from './email-body-limits';
import { sendConfig } from './graph-fixtures';
import type { RichTextBlock } from './types';
import { validateMessageTexts } from './validate-texts';

const snippets = new Map([['long', 'y'.repeat(6000)]]);

function issues(body: RichTextBlock[]) {
  return validateMessageTexts(sendConfig({ email: { body } }), snippets).map(
    ({ code, path }) => `${code} ${path}`,
  );
}

const paragraph = (...texts: string[]): RichTextBlock => ({
  type: 'paragraph',
  spans: texts.map((text) => ({ text })),
});

describe('e-mail body limits', () => {
  it('accepts a block of exactly the limit, counted as people see characters', () => {
    // Each family emoji is one character, though 11 UTF-16 units.
    const half = MAX_EMAIL_BLOCK_LENGTH / 2;
    expect(issues([paragraph('x'.repeat(half), '👩‍👩‍👧'.repeat(half))])).toEqual([]);
  });

  it('refuses a span over the limit at that span', () => {
    expect(
      issues([paragraph('ok'), paragraph('short', 'x'.repeat(MAX_EMAIL_BLOCK_LENGTH + 1))]),
    ).toEqual(['TEXT_TOO_LONG email.body[1].spans[1].text']);
  });

  it('refuses a block whose spans together are over the limit at the block', () => {
    const half = 'x'.repeat(MAX_EMAIL_BLOCK_LENGTH / 2);
    expect(issues([paragraph(half, half, '!')])).toEqual(['TEXT_TOO_LONG email.body[0]']);
  });

  it('counts a whole list, and locates a span inside an item', () => {
    const item = [{ text: 'x'.repeat(4000) }];
    expect(issues([{ type: 'list', ordered: false, items: [item, item, item] }])).toEqual([
      'TEXT_TOO_LONG email.body[0]',
    ]);
    expect(
      issues([
        { type: 'list', ordered: true, items: [[{ text: 'a' }], [{ text: 'x'.repeat(10_001) }]] },
      ]),
    ).toEqual(['TEXT_TOO_LONG email.body[0].items[1][0].text']);
  });

  it('counts snippets expanded', () => {
    expect(issues([paragraph('$snippet.long', '$snippet.long')])).toEqual([
      'TEXT_TOO_LONG email.body[0]',
    ]);
  });

  it('refuses a link over 2,000 characters at the link', () => {
    const link = `https://example.com/${'a'.repeat(MAX_LINK_LENGTH)}`;
    expect(issues([{ type: 'heading', level: 2, spans: [{ text: 'Go', link }] }])).toEqual([
      'TEXT_TOO_LONG email.body[0].spans[0].link',
    ]);
  });

  it('accepts a whole body of exactly 100,000 characters and refuses one more at the body', () => {
    const blocks = MAX_EMAIL_BODY_LENGTH / MAX_EMAIL_BLOCK_LENGTH;
    const full = Array.from({ length: blocks }, () =>
      paragraph('x'.repeat(MAX_EMAIL_BLOCK_LENGTH)),
    );
    expect(issues(full)).toEqual([]);
    expect(issues([...full, paragraph('!')])).toEqual(['TEXT_TOO_LONG email.body']);
    // A block over its own limit is reported alone, not the body as well.
    expect(issues([...full, paragraph('x'.repeat(MAX_EMAIL_BLOCK_LENGTH + 1))])).toEqual([
      `TEXT_TOO_LONG email.body[${blocks}].spans[0].text`,
    ]);
  });

  it('refuses more than 200 blocks, even empty ones, at the body, without checking each', () => {
    const empty = (): RichTextBlock => ({ type: 'paragraph', spans: [] });
    expect(issues(Array.from({ length: MAX_EMAIL_BODY_BLOCKS }, empty))).toEqual([]);
    const over = Array.from({ length: MAX_EMAIL_BODY_BLOCKS + 1 }, () => paragraph('bad link', ''));
    over[0] = { type: 'heading', level: 1, spans: [{ text: 'Go', link: 'javascript:alert(1)' }] };
    expect(issues(over)).toEqual(['INVALID_VALUE email.body']);
    expect(issues(Array.from({ length: 100_000 }, empty))).toEqual(['INVALID_VALUE email.body']);
  });

  it("refuses a block of more than 500 parts: spans, or a list's items and their spans", () => {
    const spans = Array.from({ length: MAX_EMAIL_BLOCK_PARTS }, () => ({ text: 'a' }));
    expect(issues([{ type: 'paragraph', spans }])).toEqual([]);
    expect(
      issues([paragraph('ok'), { type: 'paragraph', spans: [...spans, { text: '' }] }]),
    ).toEqual(['INVALID_VALUE email.body[1]']);
    const emptyItems = Array.from({ length: MAX_EMAIL_BLOCK_PARTS + 1 }, () => []);
    expect(issues([{ type: 'list', ordered: false, items: emptyItems }])).toEqual([
      'INVALID_VALUE email.body[0]',
    ]);
    // 250 items of one span each: 500 parts.
    const items = Array.from({ length: MAX_EMAIL_BLOCK_PARTS / 2 }, () => [{ text: 'a' }]);
    expect(issues([{ type: 'list', ordered: true, items }])).toEqual([]);
    expect(issues([{ type: 'list', ordered: true, items: [...items, [{ text: 'b' }]] }])).toEqual([
      'INVALID_VALUE email.body[0]',
    ]);
  });
});
