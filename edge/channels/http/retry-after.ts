/** The longest wait we honour from a provider's Retry-After; longer ones are clamped. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/**
 * Seconds to wait from a `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an
 * HTTP date. Undefined when absent or unreadable; never negative; clamped to a day.
 */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else if (/^\d+\.\d+$/.test(trimmed)) {
    // Not delay-seconds (RFC 9110 §10.2.3: 1*DIGIT), but some APIs send fractions: wait the
    // whole seconds that cover it.
    seconds = Math.ceil(Number(trimmed));
  } else {
    // Only a date: `Date.parse` is lenient and reads `-5` or `1.5` as days of 2001, which
    // would have made a nonsense value "retry now" instead of no hint (dispatch's backoff).
    // Every HTTP-date form names its month (and an ISO time its `T`), so a date has a letter.
    if (!/[a-z]/i.test(trimmed)) return undefined;
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    seconds = Math.ceil((date - now.getTime()) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}
