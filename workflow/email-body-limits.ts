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

function blockSpans(block: RichTextBlock, path: string): { path: string; span: RichTextSpan }[] {
  if (block.type !== 'list') {
    return block.spans.map((span, index) => ({ path: `${path}.spans[${index}]`, span }));
  }
  return block.items.flatMap((item, itemIndex) =>
    item.map((span, index) => ({ path: `${path}.items[${itemIndex}][${index}]`, span })),
  );
}

/**
 * Issues (TEXT_TOO_LONG) for an e-mail body's spans, links and blocks over their limits, at
 * `email.body[b].spans[s].text` / `.link` (`email.body[b].items[i][s]…` in lists) or at
 * `email.body[b]` for a block whose spans together are too long.
 */
export function emailBodyLengthIssues(
  blocks: readonly RichTextBlock[],
  snippets: ReadonlyMap<string, string>,
  prefix = 'email.body',
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
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
  });
  return issues;
}
