import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { type ContactFilter, contactFilterSql } from './contact-filter';

/**
 * The filter's SQL text is fixed by the filter's shape: every key, value, code, tag and instant
 * travels as a parameter, so no text a client chose is ever read as SQL (the behaviour of the
 * same texts against Postgres is in edge/segments/chunk.test.ts).
 */

const dialect = new PgDialect();
const build = (filter: ContactFilter) => dialect.sqlToQuery(contactFilterSql(filter));

const HOSTILE = [
  "x' or '1'='1",
  '"}\' ) or true --',
  'a\\b',
  '100%_',
  '$.plan[*] ? (@ == "x")',
  '{"plan":"Gold"}',
  '); drop table contacts; --',
];

describe('contactFilterSql', () => {
  it('an empty filter matches every contact', () => {
    expect(build({})).toEqual({ sql: 'true', params: [] });
  });

  it('puts every client text in a parameter: the SQL text depends only on the shape', () => {
    const filter = (text: string): ContactFilter => ({
      customFields: [
        { key: text, equals: text },
        { key: text, contains: text },
      ],
      countries: [text],
      languages: [text],
      createdSince: text,
      createdBefore: text,
      hasEmail: true,
      hasPhone: false,
    });
    const plain = build(filter('plain'));
    for (const text of HOSTILE) {
      const query = build(filter(text));
      expect(query.sql).toBe(plain.sql);
      expect(query.sql).not.toContain(text);
      expect(query.params).toEqual([
        JSON.stringify({ [text]: text }),
        text,
        text,
        [text],
        // languages: the tags themselves, then as prefixes of subtags
        [text],
        [text],
        text,
        text,
      ]);
    }
  });

  it('custom field equality is one jsonb document per condition, built by JSON.stringify', () => {
    const query = build({ customFields: [{ key: '__proto__', equals: 'a"b\\c' }] });
    expect(query.sql).toBe('c.custom_fields @> $1::jsonb');
    expect(JSON.parse(query.params[0] as string)).toEqual(JSON.parse('{"__proto__":"a\\"b\\\\c"}'));
  });
});
