import { describe, expect, it } from 'vitest';
import { generateCredentialsKey } from '../db/credentials';
import { createNodePostgres } from '../db/drivers/node-postgres';
import { FULL_WORKFLOW_LISTING } from './full-listing-document';
import { MAX_BATCH_SIZE, MAX_VARIABLE_DEPTH, QUERY_LIMITS } from './hardening';
import { createApi } from './server';
import { type Json, useTestApi } from './test-support';

const dev = useTestApi();
const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const production = useTestApi({ production: true });

/** A valid query exactly `depth` fields deep: contacts > nodes > identities > contact > ... > id. */
function nested(depth: number): string {
  const path = ['contacts', 'nodes'];
  while (path.length < depth - 1) path.push(path.length % 2 === 0 ? 'identities' : 'contact');
  return `{ ${path.map((field) => `${field} {`).join(' ')} id ${'}'.repeat(path.length)} }`;
}

/** Every step with its config's channels, responses and rich text, for the cost test. */
const STEPS = `steps { id ... on SendMessageStep { config {
  channel { channel { id name } }
  channelResponses { channel { id name } content { __typename } }
  email { body { spans { text } items { text } } } } } }`;

describe('query limits', () => {
  it(`rejects queries deeper than ${QUERY_LIMITS.maxDepth} fields before running them`, async () => {
    const { apiKey } = await dev.createWorkspace();
    const ok = await dev.gql(
      apiKey,
      '{ contacts { nodes { identities { contact { identities { channel { id } } } } } } }',
    );
    expect(ok.errors).toBeUndefined();
    const deep = await dev.gql(apiKey, nested(QUERY_LIMITS.maxDepth + 1));
    expect(deep.data).toBeUndefined();
    expect(deep.errors?.[0]?.message).toMatch(/depth/i);
  });

  it(`rejects more than ${QUERY_LIMITS.maxAliases} aliases`, async () => {
    const { apiKey } = await dev.createWorkspace();
    const aliases = (count: number) =>
      `{ ${Array.from({ length: count }, (_, i) => `a${i}: workspace { id }`).join(' ')} }`;
    expect((await dev.gql(apiKey, aliases(QUERY_LIMITS.maxAliases))).errors).toBeUndefined();
    const tooMany = await dev.gql(apiKey, aliases(QUERY_LIMITS.maxAliases + 1));
    expect(tooMany.errors?.[0]?.message).toMatch(/aliases/i);
  });

  it(`rejects more than ${QUERY_LIMITS.maxDirectives} directives`, async () => {
    const { apiKey } = await dev.createWorkspace();
    const directives = Array.from(
      { length: QUERY_LIMITS.maxDirectives + 1 },
      () => '@include(if: true)',
    ).join(' ');
    const result = await dev.gql(apiKey, `{ workspace { id ${directives} } }`);
    expect(result.errors?.[0]?.message).toMatch(/directives/i);
  });

  it(`rejects documents of more than ${QUERY_LIMITS.maxTokens} tokens`, async () => {
    const { apiKey } = await dev.createWorkspace();
    const fields = Array.from({ length: QUERY_LIMITS.maxTokens }, () => 'id').join(' ');
    const result = await dev.gql(apiKey, `{ workspace { ${fields} } }`);
    expect(result.errors?.[0]?.message).toMatch(/token/i);
  });

  it('accepts a page of 100 workflows with full configs, and refuses it aliased twice', async () => {
    const { apiKey } = await dev.createWorkspace();
    const page = await dev.gql(apiKey, FULL_WORKFLOW_LISTING, { first: 100 });
    expect(page.errors).toBeUndefined();
    expect(page.data.workflows.nodes).toEqual([]);
    // The page size counts when it is a variable, as a client sends it.
    const twice = `query ($first: Int!) { a: workflows(first: $first) { nodes { ${STEPS} } }
      b: workflows(first: $first) { nodes { ${STEPS} } } }`;
    expect((await dev.gql(apiKey, twice, { first: 10 })).errors).toBeUndefined();
    const result = await dev.gql(apiKey, twice, { first: 100 }, GRAPHQL_RESPONSE);
    expect(result.status).toBe(400);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toMatch(/cost \d+ exceeds the limit of 100000/i);
    // A request error: 200 under application/json (GraphQL over HTTP, §"Status Codes").
    const legacy = await dev.gql(apiKey, twice, { first: 100 });
    expect(legacy.status).toBe(200);
    expect(legacy.errors).toEqual(result.errors);
  });
});

describe('NUL characters and unpaired surrogates', () => {
  it('refuses text holding U+0000 with BAD_USER_INPUT before anything runs or is written', async () => {
    const { apiKey } = await dev.createWorkspace();
    const nul = 'a\u0000b';
    const attempts: [string, Record<string, unknown>][] = [
      [
        'mutation ($v: String) { createContact(input: { firstName: $v }) { __typename } }',
        { v: nul },
      ],
      [
        'mutation ($v: JSON) { createContact(input: { customFields: $v }) { __typename } }',
        { v: { k: nul } },
      ],
      [
        'mutation ($v: JSON) { createContact(input: { customFields: $v }) { __typename } }',
        { v: { [nul]: 'x' } },
      ],
      ['mutation { createWorkflow(input: { name: "a\\u0000b" }) { __typename } }', {}],
      [
        'mutation ($v: String!) { createSnippet(input: { name: "x", body: $v }) { __typename } }',
        { v: nul },
      ],
      ['query ($v: String) { contacts(filter: { search: $v }) { totalCount } }', { v: nul }],
      ['query ($v: String) { workflows(filter: { search: $v }) { nodes { id } } }', { v: nul }],
    ];
    for (const [query, variables] of attempts) {
      const result = await dev.gql(apiKey, query, variables, GRAPHQL_RESPONSE);
      expect(result.status, query).toBe(400);
      expect(result.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
      expect(result.data ?? null, query).toBeNull();
    }
    const after = await dev.gql(
      apiKey,
      '{ contacts { totalCount } workflows { nodes { id } } snippets { totalCount } }',
    );
    expect(after.data).toEqual({
      contacts: { totalCount: 0 },
      workflows: { nodes: [] },
      snippets: { totalCount: 0 },
    });
  });

  it('refuses an unpaired surrogate the same way, where jsonb would fail and text would change it, and takes emoji', async () => {
    const { apiKey } = await dev.createWorkspace();
    const lone = 'Gold \ud800';
    const attempts: [string, Record<string, unknown>][] = [
      [
        'mutation ($v: String) { createContact(input: { firstName: $v }) { __typename } }',
        { v: lone },
      ],
      [
        'mutation ($v: JSON) { createContact(input: { customFields: $v }) { __typename } }',
        { v: { plan: lone } },
      ],
      [
        'mutation ($v: JSON) { createContact(input: { customFields: $v }) { __typename } }',
        { v: { '\udc00': 'x' } },
      ],
      [
        'mutation ($v: String!) { createSnippet(input: { name: "x", body: $v }) { __typename } }',
        { v: lone },
      ],
    ];
    for (const [query, variables] of attempts) {
      const result = await dev.gql(apiKey, query, variables, GRAPHQL_RESPONSE);
      expect(result.status, query).toBe(400);
      expect(result.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message, query).toContain('unpaired surrogate');
      expect(result.data ?? null, query).toBeNull();
    }
    // In the document itself, graphql-js already refuses one when it parses the string literal.
    const literal = await dev.gql(
      apiKey,
      'mutation { createWorkflow(input: { name: "a\\ud800b" }) { __typename } }',
      {},
      GRAPHQL_RESPONSE,
    );
    expect(literal.status).toBe(400);
    expect(literal.data ?? null).toBeNull();
    const after = await dev.gql(apiKey, '{ contacts { totalCount } workflows { nodes { id } } }');
    expect(after.data).toEqual({ contacts: { totalCount: 0 }, workflows: { nodes: [] } });

    const emoji = await dev.gql(
      apiKey,
      'mutation ($v: String) { createContact(input: { firstName: $v }) { __typename } }',
      { v: 'Ada 👩‍👩‍👧‍👦' },
    );
    expect(emoji.data.createContact.__typename).toBe('MutationCreateContactSuccess');
  });
});

describe('deeply nested variables', () => {
  /** A createContact whose `customFields` variable is `depth` arrays, one inside the other. */
  async function nestedCustomFields(apiKey: string, depth: number) {
    // Written by hand: JSON.stringify recurses, and fails itself on the deepest.
    const body = `{"query":"mutation ($v: JSON) { createContact(input: { customFields: $v }) { __typename } }","variables":{"v":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const response = await dev.yoga.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: GRAPHQL_RESPONSE,
        authorization: `Bearer ${apiKey}`,
      },
      body,
    });
    return { status: response.status, ...((await response.json()) as Json) };
  }

  it(`refuses variables nested more than ${MAX_VARIABLE_DEPTH} levels with BAD_USER_INPUT, not an internal error`, async () => {
    const { apiKey } = await dev.createWorkspace();
    const within = await nestedCustomFields(apiKey, MAX_VARIABLE_DEPTH);
    expect(within.data).toEqual({ createContact: { __typename: 'ValidationError' } });
    for (const depth of [MAX_VARIABLE_DEPTH + 1, 20_000]) {
      const deep = await nestedCustomFields(apiKey, depth);
      expect(deep.status, `depth ${depth}`).toBe(400);
      expect(deep.errors?.[0]?.extensions?.code, `depth ${depth}`).toBe('BAD_USER_INPUT');
      expect(deep.data ?? null).toBeNull();
    }
    expect((await dev.gql(apiKey, '{ contacts { totalCount } }')).data).toEqual({
      contacts: { totalCount: 0 },
    });
  });
});

describe('batching', () => {
  const batch = (key: string, count: number) =>
    dev.yoga.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(
        Array.from({ length: count }, () => ({ query: '{ workspace { name } }' })),
      ),
    });

  it(`answers up to ${MAX_BATCH_SIZE} operations in one request`, async () => {
    const { apiKey } = await dev.createWorkspace('Batch');
    const response = await batch(apiKey, MAX_BATCH_SIZE);
    const body = (await response.json()) as unknown[];
    expect(body).toHaveLength(MAX_BATCH_SIZE);
    expect(body[0]).toEqual({ data: { workspace: { name: 'Batch' } } });
  });

  it('refuses a larger batch', async () => {
    const { apiKey } = await dev.createWorkspace();
    const response = await batch(apiKey, MAX_BATCH_SIZE + 1);
    expect(response.status).toBe(413);
    expect(JSON.stringify(await response.json())).toMatch(/[Bb]atch/);
  });
});

describe('error masking', () => {
  it('answers an unexpected failure with a generic error that reveals nothing', async () => {
    // A database that does not exist makes the API key lookup itself fail.
    const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://localhost/x');
    url.pathname = '/sendflow_no_such_database';
    const broken = createNodePostgres(url.toString(), { max: 1 });
    try {
      const yoga = createApi({ db: broken.db, credentialsKey: generateCredentialsKey() });
      const response = await yoga.fetch('http://api.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer sf_0123456789ab_${'a'.repeat(43)}`,
        },
        body: JSON.stringify({ query: '{ workspace { id } }' }),
      });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text).errors[0].message).toBe('Unexpected error.');
      expect(text).not.toMatch(/sendflow_no_such_database|does not exist|select|api_keys/i);
    } finally {
      await broken.close();
    }
  });
});

describe('production configuration', () => {
  it('refuses introspection but still answers __typename', async () => {
    const { apiKey } = await production.createWorkspace();
    const schema = await production.gql(apiKey, '{ __schema { types { name } } }');
    expect(schema.data).toBeUndefined();
    expect(schema.errors?.[0]?.message).toMatch(/introspection/i);
    const type = await production.gql(apiKey, '{ __type(name: "Channel") { name } }');
    expect(type.errors?.[0]?.message).toMatch(/introspection/i);
    const typename = await production.gql(apiKey, '{ __typename workspace { __typename } }');
    expect(typename.data).toEqual({ __typename: 'Query', workspace: { __typename: 'Workspace' } });
  });

  it('does not suggest field names', async () => {
    const { apiKey } = await production.createWorkspace();
    const result = await production.gql(apiKey, '{ workspac { id } }');
    expect(result.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const inDev = await dev.gql((await dev.createWorkspace()).apiKey, '{ workspac { id } }');
    expect(inDev.errors?.[0]?.message).toMatch(/Did you mean "workspace"/);
  });

  it('serves GraphiQL in development only', async () => {
    const page = (yoga: typeof dev.yoga) =>
      yoga.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } });
    const devPage = await page(dev.yoga);
    expect(devPage.status).toBe(200);
    const html = await devPage.text();
    expect(html).toMatch(/graphiql/i);
    // Opens with the Authorization header to fill in, since every request needs a key.
    expect(html).toContain('Bearer <API key>');
    const prodPage = await page(production.yoga);
    expect(prodPage.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await prodPage.text()).not.toMatch(/graphiql/i);
  });

  it('allows introspection in development', async () => {
    const { apiKey } = await dev.createWorkspace();
    const result = await dev.gql(apiKey, '{ __type(name: "Channel") { name } }');
    expect(result.data).toEqual({ __type: { name: 'Channel' } });
  });
});
