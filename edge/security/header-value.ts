/**
 * Header values built from untrusted text (a contact's name, an interpolated subject) must
 * never carry a line break: in an email or HTTP header, CR or LF ends the header and lets the
 * rest of the value inject new headers or a body (RFC 5322 §2.2, RFC 9110 §5.5).
 */

const LINE_BREAK = /[\r\n]/;
const LINE_BREAKS = /[\r\n]+/g;

/** Raised when a value with CR/LF is about to be written into a header. */
export class HeaderInjectionError extends Error {
  readonly header: string;

  constructor(header: string) {
    super(`The ${header} header value contains a line break`);
    this.name = 'HeaderInjectionError';
    this.header = header;
  }
}

/** True when `value` can be written as one header value (no CR, no LF). */
export function isSafeHeaderValue(value: string): boolean {
  return !LINE_BREAK.test(value);
}

/** Throws HeaderInjectionError when `value` holds CR or LF; the last line of defence. */
export function assertHeaderValue(header: string, value: string): string {
  if (!isSafeHeaderValue(value)) throw new HeaderInjectionError(header);
  return value;
}

/**
 * Replaces every run of CR/LF with one space, for text that is headed for a header but came
 * from people (an interpolated contact value in a subject): the text survives, the break
 * does not.
 */
export function stripLineBreaks(value: string): string {
  return value.replace(LINE_BREAKS, ' ');
}
