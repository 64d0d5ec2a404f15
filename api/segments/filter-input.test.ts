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
});
