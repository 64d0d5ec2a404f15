import { storedCharset } from '../../media/upload-types';

/**
 * File parts of an email (RFC 2045, RFC 2183, RFC 2231, RFC 2387): the bytes in base64 wrapped
 * at 76 characters, the file name in `Content-Type; name=` and `Content-Disposition; filename=`
 * (RFC 2231 percent-encoded, with continuations, when it is not plain ASCII or is long), and a
 * `Content-ID` for inline parts that the HTML refers to as `cid:`.
 */

/** A file carried in the message. */
export interface MimeAttachment {
  fileName: string;
  contentType: string;
  content: Uint8Array;
  /**
   * For an inline part shown by the HTML (`<img src="cid:…">`): the id without angle brackets,
   * e.g. `f1b2…@sendflow`. Absent, the file is an attachment.
   */
  contentId?: string;
}

/** Base64 lines are at most 76 characters (RFC 2045 §6.8). */
const BASE64_LINE = 76;
/** Bytes per `String.fromCharCode` call: spreading more would overflow the stack. */
const CHUNK = 0x6000;
/** Longest parameter value segment, so that every header line stays within 78 characters. */
const PARAMETER_SEGMENT = 50;

const encoder = new TextEncoder();

/** The content in base64, CRLF-wrapped. */
export function base64Lines(content: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < content.length; start += CHUNK) {
    binary += String.fromCharCode(...content.subarray(start, start + CHUNK));
  }
  const encoded = btoa(binary);
  const lines: string[] = [];
  for (let start = 0; start < encoded.length; start += BASE64_LINE) {
    lines.push(encoded.slice(start, start + BASE64_LINE));
  }
  return lines.join('\r\n');
}

// RFC 2231 §7 attribute-char: printable ASCII without space, `*'%` and tspecials.
const ATTRIBUTE_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

function percentEncode(value: string): string[] {
  const pieces: string[] = [];
  for (const byte of encoder.encode(value)) {
    const char = String.fromCharCode(byte);
    pieces.push(
      ATTRIBUTE_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    );
  }
  return pieces;
}

/**
 * `; name="value"` lines for a parameter: quoted when short printable ASCII, else RFC 2231
 * `name*=UTF-8''…` split into `name*0*=`, `name*1*=`… segments that never cut an escape.
 */
export function parameterLines(name: string, value: string): string[] {
  const plain = /^[\x20-\x7e]*$/.test(value) && !/["\\]/.test(value);
  if (plain && value.length <= PARAMETER_SEGMENT) return [` ${name}="${value}"`];
  const pieces = percentEncode(value);
  const segments: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current.length + piece.length > PARAMETER_SEGMENT) {
      segments.push(current);
      current = '';
    }
    current += piece;
  }
  segments.push(current);
  if (segments.length === 1) return [` ${name}*=UTF-8''${segments[0]}`];
  return segments.map(
    (segment, index) => ` ${name}*${index}*=${index === 0 ? "UTF-8''" : ''}${segment}`,
  );
}

/** One header with parameters, each parameter on its own folded line. */
function headerWithParameters(header: string, value: string, parameters: string[]): string {
  return `${header}: ${value};\r\n${parameters.join(';\r\n')}`;
}

// A MIME type token (RFC 2045 §5.1); anything else is sent as application/octet-stream.
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;
// A Content-ID made of dot-atom text (RFC 5322 §3.4.1 msg-id).
const CONTENT_ID = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$/;

/** The part for one file: headers, a blank line, base64 body. */
export function attachmentPart(attachment: MimeAttachment): string {
  const type = MIME_TYPE.test(attachment.contentType)
    ? attachment.contentType
    : 'application/octet-stream';
  // A carried file is an upload, and uploaded text is UTF-8 (storedCharset).
  const charset = storedCharset(type);
  const headers = [
    headerWithParameters('Content-Type', type, [
      ...(charset ? [` charset=${charset}`] : []),
      ...parameterLines('name', attachment.fileName),
    ]),
    'Content-Transfer-Encoding: base64',
    headerWithParameters(
      'Content-Disposition',
      attachment.contentId ? 'inline' : 'attachment',
      parameterLines('filename', attachment.fileName),
    ),
  ];
  if (attachment.contentId) {
    if (!CONTENT_ID.test(attachment.contentId)) {
      throw new Error(`Not a Content-ID: ${attachment.contentId}`);
    }
    headers.push(`Content-ID: <${attachment.contentId}>`);
  }
  return [...headers, '', base64Lines(attachment.content)].join('\r\n');
}
