/**
 * Quoted-printable body encoding (RFC 2045 §6.7): printable ASCII stays readable, everything
 * else becomes `=XX`, and soft line breaks (`=` CRLF) keep every encoded line within 76
 * characters, so any UTF-8 text travels through 7-bit SMTP unchanged.
 */

/** Longest encoded line, counting the `=` of a soft line break (RFC 2045 §6.7, rule 5). */
const MAX_LINE = 76;

const encoder = new TextEncoder();

function hex(byte: number): string {
  return `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function encodeLine(line: string): string {
  const bytes = encoder.encode(line);
  let out = '';
  let length = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    const last = index === bytes.length - 1;
    const printable = byte >= 33 && byte <= 126 && byte !== 61;
    // Trailing spaces and tabs would be stripped in transit, so they are encoded (rule 3).
    const whitespace = (byte === 32 || byte === 9) && !last;
    const token = printable || whitespace ? String.fromCharCode(byte) : hex(byte);
    if (length + token.length > MAX_LINE - 1) {
      out += '=\r\n';
      length = 0;
    }
    out += token;
    length += token.length;
  }
  return out;
}

/** Encodes text as quoted-printable with CRLF line breaks (any input line ending accepted). */
export function encodeQuotedPrintable(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map(encodeLine)
    .join('\r\n');
}
