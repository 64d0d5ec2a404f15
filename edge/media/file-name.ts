import { isForbiddenInName } from '../../workflow/display-name';

/** Longest file name kept (most file systems allow 255 bytes; names are shown and sent). */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * What no name may hold (workflow/display-name.ts: controls, line separators, bidirectional
 * overrides and isolates, which can make `invoice<U+202E>fdp.exe` read as `invoiceexe.pdf`),
 * and, in a file name, the bidirectional marks too (every Bidi_Control character, the Arabic
 * letter mark U+061C among them): a file name is a name and an extension, which no mark should
 * be able to move.
 */
function isForbidden(code: number): boolean {
  return isForbiddenInName(code) || code === 0x061c || code === 0x200e || code === 0x200f;
}

function hasForbidden(name: string): boolean {
  for (let index = 0; index < name.length; index++) {
    if (isForbidden(name.charCodeAt(index))) return true;
  }
  return false;
}
const SEPARATOR = /[/\\]/;

/** A file name, or why it cannot be one. */
export type FileNameCheck = { ok: true; name: string } | { ok: false; problem: string };

/**
 * Checks a library file name: trimmed and NFC-normalised, not empty, no path separators, no
 * control or bidirectional-override characters, not `.` or `..`, at most 255 characters. Names
 * are refused rather than silently rewritten, so the user sees which name is kept.
 */
export function checkFileName(raw: string): FileNameCheck {
  // Checked before trimming, which would quietly drop a trailing line break.
  if (hasForbidden(raw)) {
    return { ok: false, problem: 'A file name must not contain control characters' };
  }
  const name = raw.normalize('NFC').trim();
  if (name === '') return { ok: false, problem: 'A file name must not be blank' };
  if (SEPARATOR.test(name)) return { ok: false, problem: 'A file name must not contain / or \\' };
  if (name === '.' || name === '..') return { ok: false, problem: 'Not a file name' };
  if (name.length > MAX_FILE_NAME_LENGTH) {
    return { ok: false, problem: `A file name has at most ${MAX_FILE_NAME_LENGTH} characters` };
  }
  return { ok: true, name };
}

/** The lower-case extension of a name (`pdf` for `Terms.PDF`), or null when it has none. */
export function fileExtension(name: string): string | null {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : null;
}
