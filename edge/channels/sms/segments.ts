/**
 * How many SMS segments a text takes, as carriers bill it (3GPP TS 23.038 for the alphabet,
 * TS 23.040 §9.2.3.24.1 for concatenation): a text in the GSM 7-bit default alphabet fits 160
 * septets in one segment, or 153 per segment once split (the concatenation header takes 7);
 * any other character makes the whole text UCS-2: 70 UTF-16 units, or 67 per segment. Characters
 * of the alphabet's extension table (`€`, `[`, `{`…) take two septets (an escape and the
 * character), and neither an escape pair nor a surrogate pair is split across segments.
 * Twilio counts the same way (Twilio Docs, "What the heck is a segment?").
 */

/** The GSM 7-bit default alphabet (TS 23.038 §6.2.1), one septet each. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** Its extension table (TS 23.038 §6.2.1.1), two septets each (escape + character). */
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

/** Septets (GSM) or UTF-16 units (UCS-2) in one segment, alone and when concatenated. */
const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  segments: number;
}

/** Segments needed for units of `sizes` when each segment holds `capacity`, none split. */
function pack(sizes: readonly number[], capacity: number): number {
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > capacity) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return segments;
}

/** The encoding and segment count of an SMS body; an empty body is one (empty) segment. */
export function smsSegments(text: string): SmsSegments {
  const characters = Array.from(text);
  const gsm = characters.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c));
  if (gsm) {
    const sizes = characters.map((c) => (GSM_EXTENSION.has(c) ? 2 : 1));
    const total = sizes.reduce((sum, size) => sum + size, 0);
    return { encoding: 'GSM-7', segments: total <= GSM_SINGLE ? 1 : pack(sizes, GSM_PART) };
  }
  // UCS-2 counts UTF-16 code units: a character outside the BMP (most emoji) takes two.
  const sizes = characters.map((c) => c.length);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  return { encoding: 'UCS-2', segments: total <= UCS2_SINGLE ? 1 : pack(sizes, UCS2_PART) };
}
