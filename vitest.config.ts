import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{api,edge,db,workflow,scripts,test}/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep file-level parallelism modest so workerd and Postgres are not starved.
    maxWorkers: 2,
  },
});
