import { fileTypeFromBuffer } from 'file-type/core';
import { UPLOAD_TYPES } from './upload-types';

/**
 * How much of a file the signatures are read from. file-type needs a few KB for most formats
 * and the first ZIP entries for Office documents; reading a whole upload could walk megabytes
 * of crafted chunks (a PNG of empty chunks costs seconds per 10 MB).
 */
export const SNIFF_BYTES = 256 * 1024;

/**
 * The MIME type of some bytes, from their magic numbers (file-type's signature table, which
 * runs unchanged in workerd through its `core` entry), or `text/plain` for bytes that are
 * valid UTF-8 text without control characters; null when it is neither. Text that file-type
 * names by its markup (`<?xml` is application/xml, `BEGIN:VCARD` text/vcard) is text/plain
 * unless the library stores that type: an SVG with an XML prolog is stored like one without.
 */
export async function sniffContentType(bytes: Uint8Array): Promise<string | null> {
  const detected = await fileTypeFromBuffer(bytes.subarray(0, SNIFF_BYTES));
  const type = detected ? registeredType(detected.mime) : null;
  if (type && UPLOAD_TYPES[type]) return type;
  if (isPlainText(bytes)) return 'text/plain';
  return type;
}

/**
 * Types file-type names otherwise than channels list them (workflow/media-limits.ts compares
 * types exactly): M4A is `audio/mp4` (RFC 4337), which WhatsApp and Messenger take, not the
 * unregistered `audio/x-m4a`.
 */
const REGISTERED_TYPES: Readonly<Record<string, string>> = { 'audio/x-m4a': 'audio/mp4' };

/**
 * The bare type/subtype the library stores: without parameters (file-type names Ogg Opus
 * `audio/ogg; codecs=opus`, which is `audio/ogg`), and under its registered name.
 */
function registeredType(mime: string): string {
  const type = mime.split(';', 1)[0]!.trim().toLowerCase();
  return REGISTERED_TYPES[type] ?? type;
}

// Tab, line feed, form feed and carriage return are text; other C0 controls and DEL are not.
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d]);

function isControl(code: number): boolean {
  return (code < 0x20 && !TEXT_CONTROLS.has(code)) || code === 0x7f;
}

/** Valid UTF-8 (a BOM allowed) with no control characters beyond whitespace. */
function isPlainText(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  for (let index = 0; index < text.length; index++) {
    if (isControl(text.charCodeAt(index))) return false;
  }
  return true;
}
