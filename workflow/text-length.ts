let segmenter: Intl.Segmenter | undefined;

// Printable ASCII plus tab and LF: every character is its own grapheme, so the length is exact.
const SIMPLE_TEXT = /^[\x20-\x7e\t\n]*$/;

/**
 * A grapheme cluster of up to this many UTF-16 code units counts as one character. The longest
 * real characters are emoji sequences (a family or a couple with skin tones, a subdivision flag:
 * 11 to 19 units); a longer cluster is a letter under a pile of combining marks, which would
 * otherwise let a "2,000-character" text hold megabytes: it counts one character per 32 units
 * started.
 */
export const MAX_CHARACTER_UNITS = 32;

/**
 * Counts user-perceived characters (grapheme clusters), so that an emoji such as 👍🏽 or a
 * family emoji counts as one, the way the editor shows it; a cluster longer than
 * `MAX_CHARACTER_UNITS` counts as one character per that many UTF-16 units. Used for the
 * 2,000-character limit.
 */
export function textLength(text: string): number {
  if (SIMPLE_TEXT.test(text)) return text.length;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let count = 0;
  for (const { segment } of segmenter.segment(text)) {
    count +=
      segment.length > MAX_CHARACTER_UNITS ? Math.ceil(segment.length / MAX_CHARACTER_UNITS) : 1;
  }
  return count;
}
