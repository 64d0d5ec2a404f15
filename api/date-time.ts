/**
 * The `DateTime` scalar's input: an RFC 3339 date-time (the ISO 8601 profile with a timezone,
 * §5.6), e.g. `2026-12-03T09:30:00Z` or `2026-12-03T10:30:00.250+01:00`. A date without an offset
 * is refused rather than read in whatever zone the runtime happens to use, and so are dates that
 * `new Date` would accept loosely (`"1"`, `"March 5"`, numbers) or roll over (`2026-02-30` into
 * March). Years are 0001 to 9999 in UTC, the range every reader (Postgres `timestamptz`,
 * `Date.prototype.toISOString` as four digits) writes the same way.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** The instant `value` names, or why it is not a DateTime this API takes. */
export function parseDateTime(
  value: unknown,
): { ok: true; date: Date } | { ok: false; problem: string } {
  if (typeof value !== 'string') {
    return { ok: false, problem: 'A DateTime is a string such as 2026-12-03T09:30:00Z' };
  }
  const match = RFC3339.exec(value);
  if (!match) {
    return {
      ok: false,
      problem: `"${value.slice(0, 64)}" is not an RFC 3339 date-time with a timezone, such as 2026-12-03T09:30:00Z`,
    };
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = match[9] === undefined ? 0 : Number(match[9]);
  const offsetMinutes = match[10] === undefined ? 0 : Number(match[10]);
  // Days in the month: day 0 of the next month is this month's last.
  const monthDays = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const lastDay = month === 2 ? (isLeapYear(year) ? 29 : 28) : monthDays;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > lastDay ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return { ok: false, problem: `"${value}" names no real date and time` };
  }
  const time = Date.parse(value.replace(' ', 'T'));
  if (Number.isNaN(time) || time < EARLIEST || time > LATEST) {
    return { ok: false, problem: `"${value}" must fall in the years 0001 to 9999 (UTC)` };
  }
  return { ok: true, date: new Date(time) };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
