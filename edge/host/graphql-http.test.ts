import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import { generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres, type NodePostgres } from '../../db/drivers/node-postgres';
import { malformedRequests } from '../../test/malformed-requests';
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
let apiKey = '';

beforeAll(async () => {
  const databaseUrl = inject('databaseUrl');
  postgres = createNodePostgres(databaseUrl, { max: 1 });
  ({ apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'GraphQL over HTTP' }));
  proxy = await startDbProxy(databaseUrl);
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
  await postgres?.close();
});

/** Sends a request to the Worker in workerd (the deployed bundle) with this workspace's key. */
function fetchWithKey(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${apiKey}`);
  const url = new URL(String(input instanceof Request ? input.url : input));
  return fetch(`${worker.url}${url.pathname}${url.search}`, { ...init, headers });
}

describe('GraphQL over HTTP compliance in workerd (graphql-http audits)', () => {
  const audits = serverAudits({ url: 'http://api.test/graphql', fetchFn: fetchWithKey });

  it('runs all of them, MUST, SHOULD and MAY', () => {
    expect(audits).toHaveLength(61);
  });

  for (const audit of audits) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
    });
  }
});

describe("the client's mistakes", () => {
  const cases: Array<[string, RequestInit & { path?: string }]> = [
    ['an unterminated selection', { method: 'POST', body: '{"query":"{ workspace { id "}' }],
    ['a character outside the grammar', { method: 'POST', body: '{"query":"~"}' }],
    ['an unknown field', { method: 'POST', body: '{"query":"{ nope }"}' }],
    ['a body that is not JSON', { method: 'POST', body: '{"query":' }],
    [
      'variables that are not an object',
      { method: 'POST', body: '{"query":"{ __typename }","variables":"[1"}' },
    ],
    ['bad variables on GET', { method: 'GET', path: '?query=%7B__typename%7D&variables=%7Bnope' }],
    ['bad extensions on GET', { method: 'GET', path: '?query=%7B__typename%7D&extensions=%5B' }],
  ];
  for (const [name, { path = '', ...init }] of cases) {
    it(`answers 400 with a JSON error for ${name}`, async () => {
      const response = await fetchWithKey(`http://api.test/graphql${path}`, {
        ...init,
        headers: {
          accept: 'application/graphql-response+json',
          ...(init.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: Array<{ message: string }> };
      expect(body.errors.length).toBeGreaterThan(0);
      expect(body.errors[0]?.message).not.toBe('Unexpected error.');
    });
  }

  it('answers a malformed multipart body (uploads use the multipart spec) with a 4xx', async () => {
    const form = new FormData();
    // Truncated JSON in `operations`: the client's mistake, never our 500.
    form.set('operations', '{"query":"{ __typename }"');
    form.set('map', '{}');
    const response = await fetchWithKey('http://api.test/graphql', { method: 'POST', body: form });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ message: string }> };
    expect(body.errors[0]?.message).toMatch(/operations/);
  });

  it('never answers 500 or above to 1,200 malformed requests', async () => {
    const requests = malformedRequests(1200, 20261201);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const concurrency = 16;
    for (let i = 0; i < requests.length; i += concurrency) {
      await Promise.all(
        requests.slice(i, i + concurrency).map(async (request) => {
          // A reset on a reused keep-alive connection (the server closing it as the request
          // goes out) is the transport's race, not an answer: such a request is sent once more
          // on a new connection, and a second failure counts.
          const send = () => fetchWithKey(`http://api.test/graphql${request.search}`, request);
          const response = await send()
            .catch(send)
            .catch((error: Error) => {
              failures.push(`${error.cause ?? error.message} for ${request.description}`);
            });
          if (!response) return;
          const text = await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status >= 500)
            failures.push(`${response.status} for ${request.description}: ${text.slice(0, 200)}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(1200);
  }, 300_000);
});

describe('browser frontends (CORS)', () => {
  const origin = 'https://app.example.com';

  it('answers the preflight of a POST with Authorization and Content-Type', async () => {
    const response = await fetch(`${worker.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    expect(allowed).toContain('authorization');
    expect(allowed).toContain('content-type');
  });

  it('lets the page read a 401 (no key) and a 200', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${worker.url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const refused = await post({});
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(origin);
    const answered = await post({ authorization: `Bearer ${apiKey}` });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe(origin);
  });
});
