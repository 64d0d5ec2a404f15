/** The `$system.*` variables a message may use. */
export const SYSTEM_VARIABLES = ['current_date', 'current_time', 'current_datetime'] as const;
export type SystemVariable = (typeof SYSTEM_VARIABLES)[number];

// Building an Intl.DateTimeFormat is far slower than using one; a dispatch batch renders many
// messages for the same workspace timezone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      // h23, not hour12: false: some engines print midnight as "24" with the latter.
      hourCycle: 'h23',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * An IANA zone name as stored: the runtime's own spelling when the given one differs from it in
 * letter case only (`europe/paris` → `Europe/Paris`), else the name as given (`Europe/Kyiv`,
 * `Asia/Kolkata`, `Etc/UTC`, `EST` stay themselves: ICU resolves them to older names, Kiev and
 * Calcutta, or to another zone with the same offset, which is not what anyone typed); null when
 * the runtime knows no such zone. Nothing is cached: the names clients try are endless (every
 * letter case of every zone).
 */
export function canonicalTimezone(timezone: string): string | null {
  if (typeof timezone !== 'string' || timezone === '') return null;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions()
      .timeZone;
    return resolved.toLowerCase() === timezone.toLowerCase() ? resolved : timezone;
  } catch {
    return null;
  }
}

/** True when `timezone` is an IANA zone name this runtime knows (e.g. `Europe/Paris`, `UTC`). */
export function isValidTimezone(timezone: string): boolean {
  return canonicalTimezone(timezone) !== null;
}

/**
 * Formats `now` as the wall-clock value of a `$system.*` variable in the workspace timezone:
 * `YYYY-MM-DD`, `HH:mm` or `YYYY-MM-DD HH:mm`. Throws a RangeError for an unknown timezone
 * (workspace timezones are checked with `canonicalTimezone` when they are saved).
 */
export function formatSystemVariable(key: SystemVariable, now: Date, timezone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(now)) parts[part.type] = part.value;
  const date = `${parts.year?.padStart(4, '0')}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}`;
  switch (key) {
    case 'current_date':
      return date;
    case 'current_time':
      return time;
    case 'current_datetime':
      return `${date} ${time}`;
  }
}
