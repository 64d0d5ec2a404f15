import { createGraphQLError, createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from './hardening';
import { type Json, useTestApi } from './test-support';
import { useSpecStatus } from './use-spec-status';

/**
 * Status codes and request handling by the GraphQL over HTTP spec
 * (https://graphql.github.io/graphql-over-http/draft/), §"Status Codes": under
 * `application/graphql-response+json` a response without `data` is a 4xx (400 for a request
 * that fails validation, variable coercion or GetOperation()); under `application/json` a
 * well-formed request SHOULD get 200 whatever its request errors; with non-null `data` the status
 * MUST be 2xx (200 for `application/json`) under both.
 */
const api = useTestApi();

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const JSON_TYPE = 'application/json';

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

async function post(key: string, accept: string, body: unknown): Promise<Answer> {
  const response = await api.yoga.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': JSON_TYPE, accept, authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function get(key: string, accept: string, search: Record<string, string>): Promise<Answer> {
  const url = `http://api.test/graphql?${new URLSearchParams(search)}`;
  const response = await api.yoga.fetch(url, {
    headers: { accept, authorization: `Bearer ${key}` },
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A document `depth` fields deep: contacts > nodes > identities > contact > … > id. */
function nested(depth: number): string {
  const path = ['contacts', 'nodes'];
  while (path.length < depth - 1) path.push(path.length % 2 === 0 ? 'identities' : 'contact');
  return `{ ${path.map((field) => `${field} {`).join(' ')} id ${'}'.repeat(path.length)} }`;
}

/** Well-formed requests that raise a request error: no `data`, one error or more. */
const REQUEST_ERRORS: Array<[string, unknown]> = [
  [
    'a variable that cannot be coerced (CoerceVariableValues())',
    { query: 'query ($n: Int) { workflows(first: $n) { nodes { id } } }', variables: { n: 'x' } },
  ],
  ['a missing required variable', { query: 'query ($id: ID!) { workflow(id: $id) { id } }' }],
  ['a document over the depth limit', { query: nested(QUERY_LIMITS.maxDepth + 1) }],
  [
    'a document over the directive limit',
    {
      query: `{ workspace { id ${'@include(if: true) '.repeat(QUERY_LIMITS.maxDirectives + 1)} } }`,
    },
  ],
  [
    'an operation over the cost limit',
    {
      query: `query ($first: Int!) {
        contacts(first: $first) { nodes { conversation(first: $first) { nodes { __typename } } } } }`,
      variables: { first: 100 },
    },
  ],
  [
    'several operations and no operationName (GetOperation())',
    { query: 'query A { a: __typename } query B { b: __typename }' },
  ],
  ['an operationName no operation has', { query: 'query A { a: __typename }', operationName: 'B' }],
  ['a subscription sent over POST', { query: 'subscription { deliveryEvents { cursor } }' }],
  ['a field that does not exist', { query: '{ nope }' }],
];

describe('request errors (no data)', () => {
  for (const [name, body] of REQUEST_ERRORS) {
    it(`answers ${name} with 400 under graphql-response+json and 200 under application/json`, async () => {
      const { apiKey } = await api.createWorkspace();
      const strict = await post(apiKey, GRAPHQL_RESPONSE, body);
      expect(strict.body.data, JSON.stringify(strict.body)).toBeUndefined();
      expect(strict.body.errors.length).toBeGreaterThan(0);
      expect(strict.status, JSON.stringify(strict.body)).toBe(400);
      expect(strict.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);

      const legacy = await post(apiKey, JSON_TYPE, body);
      expect(legacy.body.data).toBeUndefined();
      expect(legacy.body.errors).toEqual(strict.body.errors);
      expect(legacy.status, JSON.stringify(legacy.body)).toBe(200);
      expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);
    });
  }

  it('also answers a GET whose operation cannot be determined with 400 / 200', async () => {
    const { apiKey } = await api.createWorkspace();
    const search = { query: 'query A { a: __typename } query B { b: __typename }' };
    expect((await get(apiKey, GRAPHQL_RESPONSE, search)).status).toBe(400);
    expect((await get(apiKey, JSON_TYPE, search)).status).toBe(200);
  });
});

describe('requests that are not well-formed', () => {
  // §"Request Parameters": {query} is required; §"application/json", "Invalid parameters":
  // a request that is not a well-formed GraphQL-over-HTTP request SHOULD result in 400.
  const cases: Array<[string, unknown]> = [
    ['no query', {}],
    ['a null query', { query: null }],
    ['only variables', { variables: { a: 1 } }],
    ['an operationName that is not a string', { query: '{ __typename }', operationName: 1 }],
  ];
  for (const [name, body] of cases) {
    it(`answers ${name} with 400 and a GraphQL error under both media types`, async () => {
      const { apiKey } = await api.createWorkspace();
      for (const accept of [GRAPHQL_RESPONSE, JSON_TYPE]) {
        const answer = await post(apiKey, accept, body);
        expect(answer.status, accept).toBe(400);
        expect(answer.body.errors[0].message).toMatch(/query string|operationName/);
        expect(answer.body.errors[0].extensions.code).toBe('BAD_REQUEST');
      }
    });
  }

  it('answers a GET without query (and not asking for GraphiQL) with 400', async () => {
    const { apiKey } = await api.createWorkspace();
    const answer = await get(apiKey, JSON_TYPE, {});
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].message).toBe('Must provide query string.');
  });
});

describe('operationName', () => {
  it('runs the named operation among several, over POST and GET', async () => {
    const { apiKey } = await api.createWorkspace();
    const query = 'query A { a: __typename } query B { b: __typename }';
    const posted = await post(apiKey, GRAPHQL_RESPONSE, { query, operationName: 'B' });
    expect(posted).toMatchObject({ status: 200, body: { data: { b: 'Query' } } });
    const fetched = await get(apiKey, GRAPHQL_RESPONSE, { query, operationName: 'A' });
    expect(fetched).toMatchObject({ status: 200, body: { data: { a: 'Query' } } });
  });

  it('treats an empty operationName as omitted (§"GET")', async () => {
    const { apiKey } = await api.createWorkspace();
    // Two documents: the response cache must not answer one request from the other.
    const posted = await post(apiKey, GRAPHQL_RESPONSE, {
      query: 'query Posted { posted: __typename }',
      operationName: '',
    });
    expect(posted).toMatchObject({ status: 200, body: { data: { posted: 'Query' } } });
    const fetched = await get(apiKey, GRAPHQL_RESPONSE, {
      query: 'query Fetched { fetched: __typename }',
      operationName: '',
    });
    expect(fetched).toMatchObject({ status: 200, body: { data: { fetched: 'Query' } } });
  });

  it('refuses a mutation selected by operationName over GET with 405 and Allow: POST', async () => {
    const { apiKey } = await api.createWorkspace();
    const query = 'query A { __typename } mutation B { __typename }';
    for (const accept of [GRAPHQL_RESPONSE, JSON_TYPE]) {
      const answer = await get(apiKey, accept, { query, operationName: 'B' });
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toMatch(/POST/);
      expect(answer.body.errors[0].message).toMatch(/POST/);
    }
  });
});

describe('a partial response', () => {
  // A small server with this plugin alone: a nullable field whose resolver fails with an error
  // that carries a status (as a database busy in one resolver does, api/server.ts).
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { ok: String, busy: String }',
      resolvers: {
        Query: {
          ok: () => 'ok',
          busy: () => {
            throw createGraphQLError('The database is busy or unavailable; retry shortly', {
              extensions: {
                code: 'SERVICE_UNAVAILABLE',
                http: { status: 503, headers: { 'Retry-After': '5' } },
              },
            });
          },
        },
      },
    }),
    plugins: [useSpecStatus()],
  });

  it('is a 200 under both media types, since data is not null (§"Status Codes")', async () => {
    for (const accept of [GRAPHQL_RESPONSE, JSON_TYPE]) {
      const response = await yoga.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: { 'content-type': JSON_TYPE, accept },
        body: JSON.stringify({ query: '{ ok busy }' }),
      });
      const body = (await response.json()) as Json;
      expect(body.data).toEqual({ ok: 'ok', busy: null });
      expect(body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(response.status, accept).toBe(200);
    }
  });
});
