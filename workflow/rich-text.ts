import type { RichTextBlock, RichTextSpan } from './types';

/** A piece of user text inside a structure, located by a path such as `body[0].spans[2].link`. */
export interface LocatedText {
  path: string;
  text: string;
}

function spanTexts(spans: RichTextSpan[], path: string, out: LocatedText[]): void {
  spans.forEach((span, index) => {
    const spanPath = `${path}[${index}]`;
    out.push({ path: `${spanPath}.text`, text: span.text });
    if (span.link) out.push({ path: `${spanPath}.link`, text: span.link });
  });
}

/**
 * Every user-written text in a rich-text body (span texts and link URLs) with its path, for
 * validation and variable scanning. Paths start with `prefix` (e.g. `email.body`), then
 * `[block].spans[span].text` or `[block].items[item][span].link`.
 */
export function richTextTexts(blocks: RichTextBlock[], prefix = ''): LocatedText[] {
  const out: LocatedText[] = [];
  blocks.forEach((block, index) => {
    const blockPath = `${prefix}[${index}]`;
    if (block.type === 'list') {
      block.items.forEach((item, itemIndex) => {
        spanTexts(item, `${blockPath}.items[${itemIndex}]`, out);
      });
    } else {
      spanTexts(block.spans, `${blockPath}.spans`, out);
    }
  });
  return out;
}

function spansToPlainText(spans: RichTextSpan[], renderText: (text: string) => string): string {
  return spans
    .map((span) => {
      const text = renderText(span.text);
      if (!span.link) return text;
      const url = renderText(span.link);
      // A bare link written as its own URL reads better once than as `url (url)`.
      return text === url || text.trim() === '' ? url : `${text} (${url})`;
    })
    .join('');
}

/**
 * The plain-text form of a rich-text body, for an e-mail's text part and for channels without
 * markup: blocks separated by a blank line, headings as their own line, list items prefixed
 * `- ` or `1. `, links as `text (url)`. `renderText` renders each span's text and link (it
 * expands snippets and interpolates variables).
 */
export function richTextToPlainText(
  blocks: RichTextBlock[],
  renderText: (text: string) => string,
): string {
  return blocks
    .map((block) => {
      if (block.type !== 'list') return spansToPlainText(block.spans, renderText);
      return block.items
        .map((item, index) => {
          const marker = block.ordered ? `${index + 1}. ` : '- ';
          return marker + spansToPlainText(item, renderText);
        })
        .join('\n');
    })
    .join('\n\n');
}

// A blank line (possibly holding only spaces) separates paragraphs.
const PARAGRAPH_BREAK = /\r?\n[ \t]*\r?\n/;

/**
 * Turns plain text into paragraphs split on blank lines, for an e-mail whose body comes from
 * a text message. Single line breaks stay inside the paragraph's text.
 */
export function textToRichText(text: string): RichTextBlock[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(PARAGRAPH_BREAK)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '')
    .map((paragraph) => ({ type: 'paragraph', spans: [{ text: paragraph }] }));
}
