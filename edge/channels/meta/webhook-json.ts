/**
 * Reading Meta webhook payloads defensively: a payload is signed by Meta, but a field of an
 * unexpected shape must skip that entry, never throw (WhatsApp and Messenger callbacks share
 * these readers).
 */

export type Json = Record<string, unknown>;

/** The value as an object, or null. */
export function object(value: unknown): Json | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

/** The objects in an array; anything else is an empty list. */
export function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.flatMap((item) => (object(item) ? [item as Json] : [])) : [];
}

/** A non-empty string, or null. */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Parses a webhook body whose `object` is `kind`, or null. */
export function webhookOf(body: string, kind: string): Json | null {
  try {
    const payload = object(JSON.parse(body));
    return payload?.object === kind ? payload : null;
  } catch {
    return null;
  }
}
