import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GRAPHIQL_FILES } from '../../api/graphiql-page';
import { generateCredentialsKey } from '../../db/credentials';
import { graphiqlFileProblem, loadGraphiQL } from '../../test/graphiql-page';
import {
  type DbProxy,
  type RunningWorker,
  startDbProxy,
  startWorker,
  testDatabaseBindings,
} from '../../test/workerd';

let proxy: DbProxy;
let worker: RunningWorker;

beforeAll(async () => {
  proxy = await startDbProxy(inject('databaseUrl'));
  worker = await startWorker({
    entry: 'edge/worker.ts',
    bindings: {
      ...testDatabaseBindings(proxy),
      CREDENTIALS_KEY: generateCredentialsKey(),
      ENVIRONMENT: 'development',
    },
  });
});

afterAll(async () => {
  await worker?.dispose();
  await proxy?.close();
});

describe('GraphiQL in workerd', () => {
  it('loads every script, style and editor worker from its own origin, each served with its type', async () => {
    const { html, files } = await loadGraphiQL(worker.url);
    // No CDN: the page names no other host at all.
    expect(html).not.toMatch(/https?:\/\//);
    expect(files.map((file) => file.reference.split('/').pop()).sort()).toEqual(
      Object.values(GRAPHIQL_FILES).sort(),
    );
    expect(files.map(graphiqlFileProblem).filter(Boolean)).toEqual([]);
  });

  it('still answers GraphQL on the same path', async () => {
    const response = await fetch(`${worker.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    // No key: the API's own answer, not an asset's.
    expect(response.status).toBe(401);
  });

  it('serves no GraphiQL page in production', async () => {
    const production = await startWorker({
      entry: 'edge/worker.ts',
      bindings: {
        ...testDatabaseBindings(proxy),
        CREDENTIALS_KEY: generateCredentialsKey(),
        ENVIRONMENT: 'production',
      },
    });
    try {
      const page = await fetch(`${production.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/graphiql/i);
    } finally {
      await production.dispose();
    }
  });
});
