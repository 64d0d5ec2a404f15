import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startTestDatabase } from './database';

/**
 * Creates one fresh, migrated database for this test run (real Postgres when reachable,
 * otherwise an embedded PGlite served over the Postgres protocol), exposes its URL to the test
 * files as `TEST_DATABASE_URL`, and drops it afterwards.
 */
export default async function setup(project: TestProject) {
  const database = await startTestDatabase();
  project.provide('databaseUrl', database.url);
  project.provide('databaseEmbedded', database.embedded);
  process.env.TEST_DATABASE_URL = database.url;
  return async function teardown() {
    await database.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** True on the embedded PGlite fallback (one session shared by every connection). */
    databaseEmbedded: boolean;
  }
}
