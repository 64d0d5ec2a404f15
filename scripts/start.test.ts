import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlFileProblem, loadGraphiQL } from '../test/graphiql-page';
import {
  npmRun,
  npmStart,
  STARTUP_TIMEOUT_MS,
  type StartedProcess,
  signalGroup,
  startedApi,
} from '../test/npm-start';

describe('npm start', () => {
  let dataDir: string;
  let first: StartedProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sendflow-start-'));
    first = npmStart(dataDir);
  });

  afterAll(async () => {
    if (first) {
      signalGroup(first, 'SIGKILL');
      await first.exited;
    }
    await rm(dataDir, {
      recursive: true,
      force: true,
      // Postgres' own processes may still be finishing their last writes after the group exits.
      maxRetries: 10,
      retryDelay: 200,
    });
  });

  it(
    'starts with no setup, prints a working API key, serves GraphiQL offline, runs `npm run example` to delivery, and refuses a second start',
    async () => {
      const { url, apiKey } = await startedApi(first);
      expect(first.output()).toMatch(/Sendflow is running on embedded Postgres in \S+postgres\./);

      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });

      // GraphiQL's files come from the local Worker's static assets, none from a CDN.
      const graphiql = await loadGraphiQL(url);
      expect(graphiql.html).not.toMatch(/https?:\/\//);
      expect(graphiql.files.length).toBeGreaterThan(0);
      expect(graphiql.files.map(graphiqlFileProblem).filter(Boolean)).toEqual([]);

      // The README's one-command example, against this fresh start.
      const example = npmRun(['run', 'example'], { SENDFLOW_URL: url, SENDFLOW_DATA_DIR: dataDir });
      const exampleCode = await example.exited;
      expect(example.output()).toContain(
        'Delivered: two emails in one thread and a signed webhook',
      );
      expect(exampleCode).toBe(0);

      const second = npmStart(dataDir);
      expect(await second.exited).not.toBe(0);
      expect(second.output()).toMatch(/is in use by another Sendflow process \(pid \d+\)/);

      signalGroup(first);
      await first.exited;
      expect(first.output()).toContain('Stopping');
      expect(existsSync(join(dataDir, 'lock'))).toBe(false);
      expect(existsSync(join(dataDir, 'local-api-key'))).toBe(true);
      expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    },
    STARTUP_TIMEOUT_MS * 2,
  );
});
