let segmenter: Intl.Segmenter | undefined;

// Printable ASCII plus tab and LF: every character is its own grapheme, so the length is exact.
const SIMPLE_TEXT = /^[\x20-\x7e\t\n]*$/;

/**
 * Counts user-perceived characters (grapheme clusters), so that an emoji such as 👍🏽 or a
 * family emoji counts as one, the way the editor shows it. Used for the 2,000-character limit.
 */
export function textLength(text: string): number {
  if (SIMPLE_TEXT.test(text)) return text.length;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}
