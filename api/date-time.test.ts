import { describe, expect, it } from 'vitest';
import { parseDateTime } from './date-time';

describe('the DateTime scalar (parseDateTime)', () => {
  it('takes RFC 3339 date-times with a timezone, fractions and offsets included', () => {
    for (const [given, instant] of [
      ['2026-12-03T09:30:00Z', '2026-12-03T09:30:00.000Z'],
      ['2026-12-03t09:30:00z', '2026-12-03T09:30:00.000Z'],
      ['2026-12-03 09:30:00Z', '2026-12-03T09:30:00.000Z'],
      ['2026-12-03T10:30:00.25+01:00', '2026-12-03T09:30:00.250Z'],
      ['2026-12-03T04:00:00.123456789-05:30', '2026-12-03T09:30:00.123Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ]) {
      const parsed = parseDateTime(given);
      expect(parsed.ok && parsed.date.toISOString(), given).toBe(instant);
    }
  });

  it('refuses what new Date() would read loosely, in the local zone, or rolled over', () => {
    for (const given of [
      '1',
      'March 5',
      '2026-12-03',
      '2026-12-03T09:30:00',
      '2026-12-03T09:30Z',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-12-03T24:00:00Z',
      '2026-12-03T09:60:00Z',
      '2026-12-03T09:30:60Z',
      '2026-12-03T09:30:00+24:00',
      '+010000-01-01T00:00:00Z',
      '0000-06-01T00:00:00Z',
      '0001-01-01T00:30:00+01:00',
      ' 2026-12-03T09:30:00Z',
      0,
      1_796_290_200_000,
      null,
      {},
    ]) {
      expect(parseDateTime(given), JSON.stringify(given)).toMatchObject({ ok: false });
    }
  });
});
