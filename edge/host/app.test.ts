import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import { generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres, type NodePostgres } from '../../db/drivers/node-postgres';
import {
  type DbProxy,
  type RunningWorker,
  startDbProxy,
  startWorker,
  testDatabaseBindings,
} from '../../test/workerd';

let proxy: DbProxy;
let worker: RunningWorker;
let postgres: NodePostgres;

function graphql(query: string, apiKey: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return fetch(`${worker.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query }),
  });
}

beforeAll(async () => {
  const databaseUrl = inject('databaseUrl');
  postgres = createNodePostgres(databaseUrl, { max: 1 });
  proxy = await startDbProxy(databaseUrl);
  worker = await startWorker({
    entry: 'edge/worker.ts',
    bindings: {
      ...testDatabaseBindings(proxy),
      CREDENTIALS_KEY: generateCredentialsKey(),
      ENVIRONMENT: 'development',
    },
    queueProducers: { DISPATCH_QUEUE: 'sendflow-dispatch' },
  });
});

afterAll(async () => {
  await worker?.dispose();
  await proxy?.close();
  await postgres?.close();
});

describe('the Worker in workerd', () => {
  it('reports a healthy database on /health', async () => {
    const response = await fetch(`${worker.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, db: 'ok' });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers a GraphQL query made with a valid API key, end to end', async () => {
    const { apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Edge app test' });
    const response = await graphql('{ __typename }', apiKey);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('streams a GraphQL result as server-sent events when the client asks for them', async () => {
    const { apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Edge SSE test' });
    const response = await fetch(`${worker.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${apiKey}`,
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await response.text();
    expect(body).toContain('data: {"data":{"__typename":"Query"}}');
    expect(body).toContain('event: complete');
  });

  it('refuses a GraphQL request without an API key with 401', async () => {
    const response = await graphql('{ __typename }', null);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${worker.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'Not found' });
  });
});

describe('a misconfigured Worker', () => {
  let broken: RunningWorker;
  beforeAll(async () => {
    broken = await startWorker({
      entry: 'edge/worker.ts',
      bindings: { ENVIRONMENT: 'production' },
    });
  });
  afterAll(() => broken?.dispose());

  it('fails requests with a 500 that does not reveal which binding is missing', async () => {
    const response = await fetch(`${broken.url}/health`);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string };
    expect(body.error).toBe('The server is misconfigured');
  });
});
