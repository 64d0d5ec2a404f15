/**
 * Lenient readers for provider callback payloads: a field of the wrong type reads as absent,
 * so a payload we do not understand is skipped rather than thrown on.
 */

export type Json = Record<string, unknown>;

export function object(value: unknown): Json | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

export function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.flatMap((item) => (object(item) ? [item as Json] : [])) : [];
}

export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The JSON object in `body`, or null. */
export function parseObject(body: string): Json | null {
  try {
    return object(JSON.parse(body));
  } catch {
    return null;
  }
}

/** An ISO time from epoch milliseconds (LINE, Viber) or seconds (`unit: 's'`, Telegram). */
export function isoFromEpoch(value: unknown, unit: 's' | 'ms'): string | null {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) return null;
  const date = new Date(unit === 's' ? number * 1000 : number);
  // Beyond what a Date holds (±8.64e15 ms) is no time, and so is a year past 9999, which
  // Postgres does not read from ISO text: absent, not thrown.
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 ? null : date.toISOString();
}

/** A contact's display name from its parts, or null when it has none. */
export function displayName(...parts: unknown[]): string | null {
  const name = parts
    .map((part) => text(part))
    .filter(Boolean)
    .join(' ')
    .trim();
  return name || null;
}

/** A coordinate in degrees (a number, or numeric text) within ±`limit`, or null. */
function degrees(value: unknown, limit: number): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && Math.abs(number) <= limit
    ? number
    : null;
}

/**
 * A shared location as text (`"50.76891, 6.11499"`), what a conversation shows for it; null
 * unless both coordinates are within range (none is made up).
 */
export function coordinatesText(latitude: unknown, longitude: unknown): string | null {
  const lat = degrees(latitude, 90);
  const lon = degrees(longitude, 180);
  return lat !== null && lon !== null ? `${lat}, ${lon}` : null;
}
