import { parse } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { describe, expect, it } from 'vitest';
import { FIELD_COSTS, MAX_QUERY_COST, objectCountEstimator, ROW_COST } from './query-cost';
import { apiSchema } from './server';

function costOf(query: string): number {
  return getComplexity({
    schema: apiSchema(),
    query: parse(query),
    variables: {},
    estimators: [objectCountEstimator],
  });
}

describe('query cost of a page that is not a Relay connection', () => {
  it("counts a conversation's messages once, by the page size asked", () => {
    // One contact, its statement, then 100 messages with their channels: ~1,200 objects.
    const one = costOf(
      '{ contact(id: "x") { conversation(first: 100) { nodes { id text channel { name } } } } }',
    );
    const messages = 100 * 2 * ROW_COST;
    expect(one).toBeGreaterThanOrEqual(ROW_COST + FIELD_COSTS['Contact.conversation']! + messages);
    expect(one).toBeLessThan(ROW_COST + FIELD_COSTS['Contact.conversation']! + 1.5 * messages);
  });

  it('accepts 50 contacts with 100 messages each, and still refuses 100 with a page each', () => {
    expect(
      costOf(`{ contacts(first: 50) { nodes { id
        conversation(first: 100) { nodes { id text channel { name } } } } } }`),
    ).toBeLessThanOrEqual(MAX_QUERY_COST);
    expect(
      costOf('{ contacts(first: 100) { nodes { id conversation { nodes { id } } } } }'),
    ).toBeGreaterThan(MAX_QUERY_COST);
  });
});
