import { describe, expect, it } from 'vitest';
import { IssueList } from '../validation';
import { parseContactFilter } from './filter-input';

describe('parseContactFilter', () => {
  it('normalises what it keeps: countries upper case, tags canonical, duplicates dropped, times as ISO text', () => {
    const issues = new IssueList();
    const filter = parseContactFilter(
      {
        countries: [' fr', 'FR', 'de'],
        languages: ['PT-br', 'pt-BR', 'en'],
        createdSince: new Date('2026-01-01T00:00:00Z'),
        hasPhone: false,
        customFields: [
          { key: 'plan', equals: 'Gold' },
          { key: 'city', contains: 'Par%' },
        ],
      },
      issues,
    );
    expect(issues.issues).toEqual([]);
    expect(filter).toEqual({
      countries: ['FR', 'DE'],
      languages: ['pt-BR', 'en'],
      createdSince: '2026-01-01T00:00:00.000Z',
      hasPhone: false,
      customFields: [
        { key: 'plan', equals: 'Gold' },
        { key: 'city', contains: 'Par%' },
      ],
    });
  });

  it('leaves out what was not given: an empty input matches everyone', () => {
    const issues = new IssueList();
    expect(parseContactFilter({ hasEmail: null, countries: null }, issues)).toEqual({});
    expect(issues.issues).toEqual([]);
  });

  it('refuses more conditions and values than one filter may hold', () => {
    const issues = new IssueList();
    parseContactFilter(
      {
        customFields: Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, equals: 'x' })),
        countries: Array.from({ length: 251 }, () => 'FR'),
        languages: ['en'],
      },
      issues,
    );
    expect(issues.issues.map((issue) => issue.path)).toEqual([
      'filter.customFields',
      'filter.countries',
    ]);
  });

  it('too many conditions is one issue, whatever the conditions hold, and a long key is not echoed', () => {
    const issues = new IssueList();
    parseContactFilter(
      {
        customFields: Array.from({ length: 10_000 }, () => ({
          key: 'k'.repeat(1000),
          contains: '',
        })),
      },
      issues,
    );
    expect(issues.issues).toEqual([
      {
        code: 'INVALID_VALUE',
        path: 'filter.customFields',
        message: 'At most 20 custom field conditions',
      },
    ]);
    const long = new IssueList();
    parseContactFilter({ customFields: [{ key: 'k'.repeat(100_000), equals: 'x' }] }, long);
    expect(long.issues).toEqual([
      {
        code: 'INVALID_VALUE',
        path: 'filter.customFields[0].key',
        message: 'A key of 100000 characters (at most 64) cannot name a custom field',
      },
    ]);
  });

  it('keeps instants as UTC ISO text whatever offset they were given in', () => {
    const issues = new IssueList();
    expect(
      parseContactFilter(
        {
          createdSince: new Date('2026-03-29T03:00:00+02:00'),
          createdBefore: new Date('9999-12-31T23:59:59.999Z'),
        },
        issues,
      ),
    ).toEqual({
      createdSince: '2026-03-29T01:00:00.000Z',
      createdBefore: '9999-12-31T23:59:59.999Z',
    });
    expect(parseContactFilter({ createdSince: new Date('0001-01-01T00:00:00Z') }, issues)).toEqual({
      createdSince: '0001-01-01T00:00:00.000Z',
    });
    expect(issues.issues).toEqual([]);
  });

  it('an empty list of custom field conditions is no condition; an empty list of codes is refused', () => {
    const issues = new IssueList();
    expect(parseContactFilter({ customFields: [] }, issues)).toEqual({});
    expect(issues.issues).toEqual([]);
    parseContactFilter({ countries: [], languages: [] }, issues);
    expect(issues.issues.map((issue) => issue.path)).toEqual([
      'filter.countries',
      'filter.languages',
    ]);
  });

  it('bounds each text: a key of at most 64 characters, a value of at most 2,000', () => {
    const issues = new IssueList();
    parseContactFilter(
      {
        customFields: [
          { key: 'k'.repeat(64), equals: 'v'.repeat(2000) },
          { key: 'k'.repeat(65), contains: 'v' },
          { key: 'plan', contains: 'v'.repeat(2001) },
        ],
      },
      issues,
    );
    expect(issues.issues.map((issue) => issue.path)).toEqual([
      'filter.customFields[1].key',
      'filter.customFields[2]',
    ]);
  });
});
