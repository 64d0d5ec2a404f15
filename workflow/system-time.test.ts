import { describe, expect, it } from 'vitest';
import { formatSystemVariable, isValidTimezone } from './system-time';

describe('formatSystemVariable', () => {
  const now = new Date('2024-12-31T23:05:09Z');

  it('formats date, time and datetime in UTC', () => {
    expect(formatSystemVariable('current_date', now, 'UTC')).toBe('2024-12-31');
    expect(formatSystemVariable('current_time', now, 'UTC')).toBe('23:05');
    expect(formatSystemVariable('current_datetime', now, 'UTC')).toBe('2024-12-31 23:05');
  });

  it('uses the workspace timezone, crossing into the next day and year', () => {
    expect(formatSystemVariable('current_datetime', now, 'Europe/Paris')).toBe('2025-01-01 00:05');
  });

  it('uses the workspace timezone behind UTC', () => {
    expect(formatSystemVariable('current_datetime', now, 'America/Los_Angeles')).toBe(
      '2024-12-31 15:05',
    );
  });

  it('handles half-hour offsets', () => {
    expect(formatSystemVariable('current_time', now, 'Asia/Kolkata')).toBe('04:35');
  });

  it('writes midnight as 00, not 24', () => {
    const midnight = new Date('2025-05-01T00:00:00Z');
    expect(formatSystemVariable('current_time', midnight, 'UTC')).toBe('00:00');
  });

  it('follows daylight saving time', () => {
    const summer = new Date('2025-07-01T12:00:00Z');
    const winter = new Date('2025-01-01T12:00:00Z');
    expect(formatSystemVariable('current_time', summer, 'Europe/London')).toBe('13:00');
    expect(formatSystemVariable('current_time', winter, 'Europe/London')).toBe('12:00');
  });

  it('throws for an unknown timezone', () => {
    expect(() => formatSystemVariable('current_date', now, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('isValidTimezone', () => {
  it('accepts IANA zone names and UTC', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'America/Argentina/Buenos_Aires']) {
      expect(isValidTimezone(tz)).toBe(true);
    }
  });

  it('rejects unknown names and empty strings', () => {
    for (const tz of ['Mars/Olympus', '', 'Not a zone']) {
      expect(isValidTimezone(tz)).toBe(false);
    }
  });
});
