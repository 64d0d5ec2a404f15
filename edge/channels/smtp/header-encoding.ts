import { assertHeaderValue } from '../../security/header-value';

/**
 * Header encoding for email (RFC 5322, RFC 2047): non-ASCII text becomes UTF-8 encoded-words,
 * display names become atoms, quoted strings or encoded-words, and long headers are folded so
 * that lines stay near 78 characters.
 */

/** Recommended longest header line (RFC 5322 §2.1.1). */
const FOLD_AT = 78;
/**
 * Longest line of a header that holds encoded-words: "each line of a header field that contains
 * one or more 'encoded-word's is limited to 76 characters" (RFC 2047 §2).
 */
const FOLD_AT_ENCODED = 76;

/**
 * Bytes per encoded-word. RFC 2047 §2 allows words of 75 characters; 36 bytes (48 base64
 * characters, 60 in all) leave room for `Subject: ` so that folded lines stay within 76.
 */
const MAX_BYTES_PER_WORD = 36;

const encoder = new TextEncoder();

// atext plus space (RFC 5322 §3.2.3): such a display name needs no quoting.
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Longest word written as it is. Folding happens only at whitespace (RFC 5322 §2.2.3), so a
 * longer word would leave a line over 78 characters, and one near 1000 over the 998 that
 * lines MUST keep to (RFC 5322 §2.1.1; RFC 5321 §4.5.3.1.6 refuses longer text lines).
 * Encoded-words split such a word into pieces that fold (RFC 2047 §2, §5(1)).
 */
const MAX_PLAIN_WORD = FOLD_AT - 1;

/** True when `text` cannot be written into a header as it is. */
export function needsEncodedWords(text: string): boolean {
  // `=?` in plain text would be misread as the start of an encoded-word. A run of spaces (or
  // one at either end) could only be folded into a line of nothing but white space, which only
  // the obsolete syntax allows (RFC 5322 §3.2.2 FWS, §4.2 obs-FWS) and some parsers read as the
  // end of the header section; encoded-words carry the spaces inside them.
  return (
    !PRINTABLE_ASCII.test(text) ||
    text.includes('=?') ||
    /^ | {2}| $/.test(text) ||
    text.split(' ').some((word) => word.length > MAX_PLAIN_WORD)
  );
}

/** `text` as UTF-8 B encoded-words, split on character boundaries. */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  for (const char of text) {
    const bytes = encoder.encode(char);
    if (chunk.length + bytes.length > MAX_BYTES_PER_WORD) {
      words.push(`=?UTF-8?B?${base64(Uint8Array.from(chunk))}?=`);
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length > 0 || words.length === 0) {
    words.push(`=?UTF-8?B?${base64(Uint8Array.from(chunk))}?=`);
  }
  return words;
}

/** Unstructured header text (a subject): as is when plain ASCII that folds, else encoded-words. */
export function encodeUnstructured(text: string): string {
  return needsEncodedWords(text) ? encodedWords(text).join(' ') : text;
}

/** A display name as a phrase: an atom run, a quoted string, or encoded-words. */
export function encodePhrase(name: string): string {
  if (needsEncodedWords(name)) return encodedWords(name).join(' ');
  if (PLAIN_PHRASE.test(name)) return name;
  return `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/** A mailbox (`Name <address>` or `address`); the name is encoded as needed. */
export function formatMailbox(address: string, name?: string | null): string {
  const display = name?.trim();
  return display ? `${encodePhrase(display)} <${address}>` : address;
}

/**
 * One header line, folded at spaces so that lines stay within 78 characters where the value
 * allows it (76 when it holds encoded-words). Refuses values with CR/LF: nothing may start a
 * header of its own.
 */
export function formatHeader(name: string, value: string): string {
  assertHeaderValue(name, value);
  const foldAt = value.includes('=?') ? FOLD_AT_ENCODED : FOLD_AT;
  const lines: string[] = [];
  let line = `${name}:`;
  let wordsOnLine = 0;
  for (const word of value.split(' ')) {
    // Never fold before an empty word (a second space): the new line would be white space only.
    if (wordsOnLine > 0 && word !== '' && line.length + 1 + word.length > foldAt) {
      lines.push(line);
      line = '';
      wordsOnLine = 0;
    }
    line += ` ${word}`;
    wordsOnLine++;
  }
  lines.push(line);
  return lines.join('\r\n');
}
