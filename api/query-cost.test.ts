import { parse, validate } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { describe, expect, it } from 'vitest';
import { FULL_WORKFLOW_LISTING } from './full-listing-document';
import { MAX_QUERY_COST, objectCountEstimator } from './query-cost';
import { apiSchema } from './server';

/** The index of the brace closing the first selection set opened after `from`. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let index = text.indexOf('{', from); index < text.length; index++) {
    if (text[index] === '{') depth++;
    if (text[index] === '}' && --depth === 0) return index;
  }
  throw new Error('unbalanced braces');
}

function costOf(query: string, variables: Record<string, unknown> = {}): number {
  return getComplexity({
    schema: apiSchema(),
    query: parse(query),
    variables,
    estimators: [objectCountEstimator],
  });
}

describe('query cost model', () => {
  it('accepts a page of 100 workflows with their steps and every field of their configs', () => {
    expect(validate(apiSchema(), parse(FULL_WORKFLOW_LISTING))).toEqual([]);
    const cost = costOf(FULL_WORKFLOW_LISTING, { first: 100 });
    // With room to spare for fields added later.
    expect(cost).toBeLessThanOrEqual(0.75 * MAX_QUERY_COST);
  });

  it('counts a page size given as a variable like one written in the document', () => {
    const literal = FULL_WORKFLOW_LISTING.replace('($first: Int!)', '').replace(
      'first: $first',
      'first: 100',
    );
    expect(costOf(FULL_WORKFLOW_LISTING, { first: 100 })).toBe(costOf(literal));
    expect(costOf(FULL_WORKFLOW_LISTING, { first: 100 })).toBeGreaterThan(
      5 * costOf(FULL_WORKFLOW_LISTING, { first: 10 }),
    );
    // Pages are capped at 100 whatever is asked, and so is their cost.
    expect(costOf(FULL_WORKFLOW_LISTING, { first: 5000 })).toBe(
      costOf(FULL_WORKFLOW_LISTING, { first: 100 }),
    );
  });

  it('refuses the full listing fetched twice over through aliases', () => {
    const start = FULL_WORKFLOW_LISTING.indexOf('workflows(');
    const field = FULL_WORKFLOW_LISTING.slice(
      start,
      closingBrace(FULL_WORKFLOW_LISTING, start) + 1,
    );
    const twice = FULL_WORKFLOW_LISTING.replace(field, `a: ${field}\nb: ${field}`);
    expect(costOf(twice, { first: 50 })).toBeLessThanOrEqual(MAX_QUERY_COST);
    expect(costOf(twice, { first: 100 })).toBeGreaterThan(MAX_QUERY_COST);
  });

  it('refuses pages nested in a full page, and thousands of templates asked twice', () => {
    const conversations = (first: number) => `{ contacts(first: ${first}) { nodes { id
      conversation(first: 100) { nodes { id text } } } } }`;
    expect(costOf(conversations(20))).toBeLessThanOrEqual(MAX_QUERY_COST);
    expect(costOf(conversations(100))).toBeGreaterThan(MAX_QUERY_COST);
    const templates = 'channels(first: 100) { nodes { templates { name language } } }';
    expect(costOf(`{ ${templates} }`)).toBeLessThanOrEqual(MAX_QUERY_COST);
    expect(costOf(`{ a: ${templates} b: ${templates} }`)).toBeGreaterThan(MAX_QUERY_COST);
  });

  it('charges one per row and nothing for scalars', () => {
    expect(costOf('{ workspace { id name timezone } }')).toBe(1);
    // The connection object is built from no row; each of the 10 workflows is one.
    expect(costOf('{ workflows(first: 10) { nodes { id name } } }')).toBeCloseTo(10 * (0.2 + 1));
  });

  it('counts a list by the rows it can return, not by the default size', () => {
    // segmentStarts returns up to 100 starts (the default list size is 10).
    expect(costOf('{ segmentStarts(workflowId: "x") { id status total } }')).toBe(100);
  });
});
