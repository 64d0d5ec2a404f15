import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { npmStart, type StartedProcess, startedApi, stopGroup } from '../test/npm-start';

/**
 * `npm start` (the real start script, not an in-process server) under 200 concurrent mixed
 * mutations and queries made with several API keys: no request fails, every success is stored,
 * and nothing is stored for a request that answered with an error. Once on the embedded
 * Postgres, once on the machine's Postgres (max_connections 100) through DATABASE_URL.
 */

const CONCURRENT = 200;
const TEST_TIMEOUT_MS = 600_000;
const SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary response shapes
type Json = any;

async function graphql(url: string, apiKey: string, query: string, variables?: object) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

const CREATE_CONTACT = `mutation($input: ContactInput!) {
  createContact(input: $input) { __typename ... on MutationCreateContactSuccess { data { id } } }
}`;
const CREATE_WORKFLOW = `mutation($input: CreateWorkflowInput!) {
  createWorkflow(input: $input) { __typename ... on MutationCreateWorkflowSuccess { data { id } } }
}`;
const READ = `{ workspace { name } contacts(first: 5) { totalCount nodes { id } }
  workflows(first: 5) { nodes { id name } } }`;

/** Fires the mixed load at a running `npm start` and checks what it stored. */
async function loadAndVerify(url: string, adminKey: string): Promise<void> {
  const keys = [adminKey];
  for (const name of ['load-a', 'load-b']) {
    const { body } = await graphql(
      url,
      adminKey,
      'mutation($name: String!) { createApiKey(name: $name, scopes: [ADMIN]) { __typename ... on MutationCreateApiKeySuccess { data { key } } } }',
      { name },
    );
    const key = body.data?.createApiKey?.data?.key;
    expect(key, JSON.stringify(body)).toBeTruthy();
    keys.push(key);
  }
  const tag = `load${Date.now()}`;

  const results = await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      const key = keys[i % keys.length]!;
      switch (i % 4) {
        case 0:
        case 1:
          return {
            kind: 'contact',
            ...(await graphql(url, key, CREATE_CONTACT, {
              input: { firstName: tag, lastName: `n${i}`, email: `${tag}-${i}@example.com` },
            })),
          };
        case 2:
          return {
            kind: 'workflow',
            ...(await graphql(url, key, CREATE_WORKFLOW, { input: { name: `${tag} ${i}` } })),
          };
        default:
          return { kind: 'read', ...(await graphql(url, key, READ)) };
      }
    }),
  );

  const failures = results.filter(
    (result) =>
      result.status !== 200 ||
      result.body.errors ||
      (result.kind === 'contact' &&
        result.body.data?.createContact?.__typename !== 'MutationCreateContactSuccess') ||
      (result.kind === 'workflow' &&
        result.body.data?.createWorkflow?.__typename !== 'MutationCreateWorkflowSuccess'),
  );
  expect(failures.map((f) => `${f.kind} ${f.status} ${JSON.stringify(f.body)}`)).toEqual([]);

  // Exactly what was answered with success is stored: nothing missing, nothing extra.
  for (const [kind, field] of [
    ['contact', 'contacts'],
    ['workflow', 'workflows'],
  ] as const) {
    const created = results
      .filter((result) => result.kind === kind)
      .map(
        (result) =>
          (Object.values(result.body.data as Record<string, Json>)[0] as Json).data.id as string,
      );
    const stored = await idsMatching(url, adminKey, field, tag);
    expect(created).toHaveLength(kind === 'contact' ? CONCURRENT / 2 : CONCURRENT / 4);
    expect(stored).toHaveLength(created.length);
    expect(new Set(stored)).toEqual(new Set(created));
  }
}

/** Ids of every contact or workflow whose search text matches `tag`, page by page. */
async function idsMatching(
  url: string,
  apiKey: string,
  field: 'contacts' | 'workflows',
  tag: string,
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  do {
    const page: Json = await graphql(
      url,
      apiKey,
      `query($after: String, $search: String!) { ${field}(first: 100, after: $after, filter: { search: $search }) {
        nodes { id } pageInfo { hasNextPage endCursor } } }`,
      { after, search: tag },
    );
    const connection = page.body.data[field];
    ids.push(...connection.nodes.map((node: { id: string }) => node.id));
    after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  } while (after);
  return ids;
}

describe('npm start under 200 concurrent requests', () => {
  const dirs: string[] = [];
  let started: StartedProcess | undefined;
  let database: string | undefined;

  afterAll(async () => {
    await stopGroup(started);
    for (const dir of dirs)
      await rm(dir, {
        recursive: true,
        force: true,
        // Postgres' own processes may still be finishing their last writes after the group exits.
        maxRetries: 10,
        retryDelay: 200,
      });
    if (database) {
      const admin = new pg.Client(SERVER_URL);
      await admin.connect();
      await admin.query(`drop database if exists ${database} with (force)`);
      await admin.end();
    }
  }, 60_000);

  it(
    'answers every one on the embedded Postgres, and stores exactly what succeeded',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'sendflow-load-'));
      dirs.push(dataDir);
      started = npmStart(dataDir);
      const { url, apiKey } = await startedApi(started);
      await loadAndVerify(url, apiKey);
      await stopGroup(started);
      started = undefined;
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "answers every one with DATABASE_URL on the machine's Postgres (max_connections 100)",
    async () => {
      database = `sendflow_load_${Date.now()}_${process.pid}`;
      const admin = new pg.Client(SERVER_URL);
      await admin.connect();
      await admin.query(`create database ${database}`);
      await admin.end();
      const databaseUrl = new URL(SERVER_URL);
      databaseUrl.pathname = `/${database}`;
      const dataDir = await mkdtemp(join(tmpdir(), 'sendflow-load-'));
      dirs.push(dataDir);
      started = npmStart(dataDir, { DATABASE_URL: databaseUrl.toString() });
      const { url, apiKey } = await startedApi(started);
      await loadAndVerify(url, apiKey);
    },
    TEST_TIMEOUT_MS,
  );
});
