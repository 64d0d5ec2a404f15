import { expandSnippets } from './snippets';
import { textLength } from './text-length';
import { MAX_TEXT_LENGTH, type RichTextBlock, type RichTextSpan } from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';

/**
 * How much text one block of an e-mail body (a heading, a paragraph, or a whole list) may hold:
 * five message texts, counted the same way (snippets expanded, characters as people see them,
 * workflow/text-length.ts). E-mail is not bound by the 2,000-character message limit (a long
 * paragraph is fine), but without a bound per block only the request size limited a body. One
 * span alone over it is reported at that span; otherwise the block is reported as a whole.
 */
export const MAX_EMAIL_BLOCK_LENGTH = 10_000;

/** A link's URL is a text like any other: at most 2,000 characters, snippets expanded. */
export const MAX_LINK_LENGTH = MAX_TEXT_LENGTH;

/**
 * How much a whole e-mail body may hold: ten full blocks' worth of text (Gmail clips a message
 * past about 100 KB anyway), in at most 200 blocks of at most 500 parts each (a heading's or
 * paragraph's spans; a list's items and their spans). The per-block limit alone left the body
 * bounded only by the request's size: any number of blocks, or of empty items and spans, which
 * every send then renders through MJML.
 */
export const MAX_EMAIL_BODY_LENGTH = 100_000;
export const MAX_EMAIL_BODY_BLOCKS = 200;
export const MAX_EMAIL_BLOCK_PARTS = 500;

/** A block's parts: its spans, or a list's items and their spans. */
function blockParts(block: RichTextBlock): number {
  if (block.type !== 'list') return Array.isArray(block.spans) ? block.spans.length : 0;
  const items = Array.isArray(block.items) ? block.items : [];
  return items.reduce((sum, item) => sum + (Array.isArray(item) ? item.length : 0), items.length);
}

function blockSpans(block: RichTextBlock, path: string): { path: string; span: RichTextSpan }[] {
  if (block.type !== 'list') {
    return block.spans.map((span, index) => ({ path: `${path}.spans[${index}]`, span }));
  }
  return block.items.flatMap((item, itemIndex) =>
    item.map((span, index) => ({ path: `${path}.items[${itemIndex}][${index}]`, span })),
  );
}

/**
 * Issues (INVALID_VALUE) for an e-mail body of more than 200 blocks (at `email.body`) or with
 * a block of more than 500 parts (at `email.body[b]`). A body with any is not checked further:
 * its texts are neither counted nor checked one by one.
 */
export function emailBodyShapeIssues(
  blocks: readonly RichTextBlock[],
  prefix = 'email.body',
): ValidationIssue[] {
  if (blocks.length > MAX_EMAIL_BODY_BLOCKS) {
    return [
      validationIssue(
        'INVALID_VALUE',
        prefix,
        `An e-mail body holds at most ${MAX_EMAIL_BODY_BLOCKS} blocks (${blocks.length} given)`,
      ),
    ];
  }
  const issues: ValidationIssue[] = [];
  blocks.forEach((block, index) => {
    const parts = blockParts(block);
    if (parts > MAX_EMAIL_BLOCK_PARTS) {
      issues.push(
        validationIssue(
          'INVALID_VALUE',
          `${prefix}[${index}]`,
          `A block holds at most ${MAX_EMAIL_BLOCK_PARTS} spans (a list: its items and their spans together; ${parts} given)`,
        ),
      );
    }
  });
  return issues;
}

/**
 * Issues (TEXT_TOO_LONG) for an e-mail body's spans, links and blocks over their limits, at
 * `email.body[b].spans[s].text` / `.link` (`email.body[b].items[i][s]…` in lists) or at
 * `email.body[b]` for a block whose spans together are too long, and at `email.body` for a
 * body whose blocks, each within its limit, are over 100,000 characters together. For a body
 * `emailBodyShapeIssues` accepts.
 */
export function emailBodyLengthIssues(
  blocks: readonly RichTextBlock[],
  snippets: ReadonlyMap<string, string>,
  prefix = 'email.body',
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let bodyTotal = 0;
  let blockOver = false;
  blocks.forEach((block, blockIndex) => {
    const blockPath = `${prefix}[${blockIndex}]`;
    let total = 0;
    let spanOver = false;
    for (const { path, span } of blockSpans(block, blockPath)) {
      const length =
        typeof span.text === 'string' ? textLength(expandSnippets(span.text, snippets)) : 0;
      total += length;
      if (length > MAX_EMAIL_BLOCK_LENGTH) {
        spanOver = true;
        issues.push(
          validationIssue(
            'TEXT_TOO_LONG',
            `${path}.text`,
            `Text is ${length} characters with snippets expanded; an e-mail block holds at most ${MAX_EMAIL_BLOCK_LENGTH}`,
          ),
        );
      }
      const link =
        typeof span.link === 'string' ? textLength(expandSnippets(span.link, snippets)) : 0;
      if (link > MAX_LINK_LENGTH) {
        issues.push(
          validationIssue(
            'TEXT_TOO_LONG',
            `${path}.link`,
            `Link is ${link} characters with snippets expanded; the limit is ${MAX_LINK_LENGTH}`,
          ),
        );
      }
    }
    if (total > MAX_EMAIL_BLOCK_LENGTH && !spanOver) {
      issues.push(
        validationIssue(
          'TEXT_TOO_LONG',
          blockPath,
          `Block is ${total} characters with snippets expanded; the limit is ${MAX_EMAIL_BLOCK_LENGTH}`,
        ),
      );
    }
    if (spanOver || total > MAX_EMAIL_BLOCK_LENGTH) blockOver = true;
    bodyTotal += total;
  });
  // Only when every block is within its own limit: a block over it says enough.
  if (bodyTotal > MAX_EMAIL_BODY_LENGTH && !blockOver) {
    issues.push(
      validationIssue(
        'TEXT_TOO_LONG',
        prefix,
        `The e-mail body is ${bodyTotal} characters with snippets expanded; the limit is ${MAX_EMAIL_BODY_LENGTH}`,
      ),
    );
  }
  return issues;
}
