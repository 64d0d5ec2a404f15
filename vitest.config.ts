import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships a CJS build (`main`) and an ESM one (`module`). Vite hands our sources the
    // ESM copy while externalised packages (Yoga, Pothos) load the CJS copy, and two copies break
    // graphql's instanceof checks (Yoga then masks GraphQLErrors we throw). Pin the one Node uses.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    include: ['{api,edge,db,workflow,scripts,test}/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // A query issued while another runs on the same pg client fails its test file.
    setupFiles: ['./test/pg-query-queue-guard.ts'],
    testTimeout: 30_000,
    // The first Worker a test run starts waits for wrangler to bundle it (scripts/build-cache.ts):
    // seconds on an idle machine, over a minute on a loaded one.
    hookTimeout: 180_000,
    // Two cores: keep file-level parallelism modest so workerd and Postgres are not starved.
    maxWorkers: 2,
    // The Worker's JSON log lines (and workerd's, which Miniflare forwards to the console) would
    // print hundreds of blocks per run; a run is quiet unless SENDFLOW_TEST_LOGS=1 asks for them.
    // Tests that assert on log lines spy on the console, which this does not affect.
    onConsoleLog: () => (process.env.SENDFLOW_TEST_LOGS === '1' ? undefined : false),
  },
});
