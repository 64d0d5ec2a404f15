import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCredentialsKey } from '../../db/credentials';
import { type DbProxy, type RunningWorker, startDbProxy, startWorker } from '../../test/workerd';

const running: Array<{ worker: RunningWorker; proxy: DbProxy }> = [];

afterAll(async () => {
  for (const { worker, proxy } of running) {
    await worker.dispose();
    await proxy.close();
  }
});

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function workerOn(
  databaseUrl: string,
  limits: Parameters<typeof startDbProxy>[1] = {},
): Promise<RunningWorker> {
  const proxy = await startDbProxy(databaseUrl, limits);
  const worker = await startWorker({
    entry: 'edge/worker.ts',
    bindings: {
      DATABASE_URL: databaseUrl,
      DB_WS_PROXY: proxy.wsProxy,
      DB_POOL_MAX: '1',
      CREDENTIALS_KEY: generateCredentialsKey(),
      ENVIRONMENT: 'development',
    },
  });
  running.push({ worker, proxy });
  return worker;
}

function graphql(worker: RunningWorker): Promise<Response> {
  return fetch(`${worker.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer sf_0123456789ab_${'a'.repeat(43)}`,
    },
    body: JSON.stringify({ query: '{ workspace { name } }' }),
  });
}

describe('a database that cannot take the request', () => {
  it('answers 503 with Retry-After when Postgres refuses the connection, not 500', async () => {
    const worker = await workerOn(`postgres://postgres@127.0.0.1:${await closedPort()}/none`);
    const response = await graphql(worker);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
  }, 180_000);

  it('answers 503 with Retry-After when no connection frees up in time', async () => {
    const worker = await workerOn('postgres://postgres@127.0.0.1:5432/postgres', {
      maxConnections: 0,
      maxWaitMs: 200,
    });
    const response = await graphql(worker);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const health = await fetch(`${worker.url}/health`);
    expect(health.status).toBe(503);
  }, 180_000);
});
