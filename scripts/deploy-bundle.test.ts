import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
/** Workers' limit for a compressed script on the free plan (paid plans allow 10 MiB). */
const FREE_PLAN_SCRIPT_LIMIT = 3 * 1024 * 1024;
let outdir: string | undefined;

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

it('bundles for deploy with wrangler (dry run) within the free plan script limit', async () => {
  outdir = await mkdtemp(join(tmpdir(), 'sendflow-deploy-'));
  await run('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });
  const bundle = await readFile(join(outdir, 'worker.js'));
  expect(gzipSync(bundle).length).toBeLessThan(FREE_PLAN_SCRIPT_LIMIT);
}, 120_000);
