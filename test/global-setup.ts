import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { BUILD_CACHE_ENV } from '../scripts/build-cache';
import { startTestDatabase } from './database';

/**
 * Creates one fresh, migrated database for this test run (real Postgres when reachable,
 * otherwise the same embedded Postgres `npm start` uses), exposes its URL to the test
 * files as `TEST_DATABASE_URL`, and drops it afterwards.
 */
export default async function setup(project: TestProject) {
  const database = await startTestDatabase();
  // Test files share Worker bundles (scripts/build-cache.ts): wrangler bundles each entry once.
  const buildCache = await mkdtemp(join(tmpdir(), 'sendflow-builds-'));
  process.env[BUILD_CACHE_ENV] = buildCache;
  project.provide('databaseUrl', database.url);
  project.provide('databaseEmbedded', database.embedded);
  process.env.TEST_DATABASE_URL = database.url;
  return async function teardown() {
    await database.stop();
    await rm(buildCache, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** True on the embedded Postgres fallback (no server on 127.0.0.1:5432). */
    databaseEmbedded: boolean;
  }
}
