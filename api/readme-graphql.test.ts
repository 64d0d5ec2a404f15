import { readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { apiSchema } from './server';

/**
 * Every ```graphql block of the README parses and validates against the schema the code builds,
 * including those test/readme.test.ts does not run (the channel, segment, webhook and
 * subscription sections), and the documents of its curl examples: documentation that no longer matches the API fails here.
 */
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function graphqlBlocks(markdown: string): Array<{ line: number; source: string }> {
  return [...markdown.matchAll(/^```graphql\n([\s\S]*?)^```/gm)].map((match) => ({
    line: markdown.slice(0, match.index).split('\n').length,
    source: match[1]!,
  }));
}

/** The `{"query": …}` bodies of the README's curl examples (`-d '…'`, `-F operations='…'`). */
function curlDocuments(markdown: string): Array<{ line: number; source: string }> {
  return [...markdown.matchAll(/'(\{"query":.*\})'/g)].map((match) => ({
    line: markdown.slice(0, match.index).split('\n').length,
    source: (JSON.parse(match[1]!) as { query: string }).query,
  }));
}

describe('README GraphQL documents', () => {
  const curls = curlDocuments(README);
  const blocks = [...graphqlBlocks(README), ...curls];

  it('are found', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(23);
    expect(curls.length).toBeGreaterThanOrEqual(3);
  });

  for (const { line, source } of blocks) {
    const name = /^\s*(query|mutation|subscription)\s*(\w*)/m.exec(source);
    it(`README.md:${line} (${name?.[1] ?? '?'} ${name?.[2] || 'anonymous'}) validates against the schema`, () => {
      const errors = validate(apiSchema(), parse(source)).map((error) => error.message);
      expect(errors).toEqual([]);
    });
  }
});
