import { afterAll, inject } from 'vitest';
import type { Database } from '../db/client';
import { createNodePostgres } from '../db/drivers/node-postgres';
import { issueApiKey } from './api-keys';
import { createWorkspaceWithKey } from './bootstrap';
import type { Scope } from './context';
import { generateCredentialsKey } from './credentials';
import { type ApiDeps, type ApiServer, createApi } from './server';

/** Loosely typed JSON as tests read it back: any path may be walked without casts. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary response shapes
export type Json = any;

/** A GraphQL response as the tests see it. */
export interface GqlResponse {
  status: number;
  data: Json;
  errors: Json[] | undefined;
}

/** A workspace with an admin key (and helpers bound to it). */
export interface TestWorkspace {
  workspaceId: string;
  apiKey: string;
}

export interface TestApi {
  db: Database;
  yoga: ApiServer;
  /** The key used to encrypt channel credentials in this API instance. */
  credentialsKey: string;
  /** Sends one GraphQL operation with `Authorization: Bearer <key>` (no header when null). */
  gql(key: string | null, query: string, variables?: Record<string, unknown>): Promise<GqlResponse>;
  /** A fresh workspace with an admin key. */
  createWorkspace(name?: string): Promise<TestWorkspace>;
  /** Another key for an existing workspace, e.g. a read-only partner key. */
  createKey(workspaceId: string, scopes: Scope[]): Promise<string>;
}

/**
 * Connects to this run's test database (see test/global-setup.ts), builds the API in-process
 * and closes the pool after the file's tests. Call once at the top of a test file.
 */
export function useTestApi(options: Partial<Omit<ApiDeps, 'db' | 'credentialsKey'>> = {}): TestApi {
  const postgres = createNodePostgres(inject('databaseUrl'), { max: 4 });
  afterAll(() => postgres.close());
  const credentialsKey = generateCredentialsKey();
  const yoga = createApi({ db: postgres.db, credentialsKey, ...options });
  let workspaceCount = 0;

  return {
    db: postgres.db,
    yoga,
    credentialsKey,
    async gql(key, query, variables) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key) headers.authorization = `Bearer ${key}`;
      const response = await yoga.fetch('http://api.test/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: Json; errors?: Json[] };
      return { status: response.status, data: body.data, errors: body.errors };
    },
    async createWorkspace(name = `Workspace ${++workspaceCount}`) {
      return createWorkspaceWithKey(postgres.db, { name, timezone: 'UTC' });
    },
    async createKey(workspaceId, scopes) {
      const key = await issueApiKey(postgres.db, { workspaceId, name: 'Test key', scopes });
      return key.plaintext;
    },
  };
}
