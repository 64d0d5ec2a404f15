import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

export interface WorkerBundle {
  /** The bundled ES module. */
  scriptPath: string;
  bytes: number;
}

/**
 * Bundles a Worker entry exactly as `wrangler deploy` does, by running it: `wrangler deploy
 * <entry> --dry-run --outdir <outdir>` builds with wrangler.toml's compatibility date, flags and
 * `[alias]` table and uploads nothing. So `npm start`, the tests and production run bundles made
 * by the same bundler from the same settings (wrangler.toml is the one place they live).
 */
export async function bundleWorker(entry: string, outdir: string): Promise<WorkerBundle> {
  await mkdir(outdir, { recursive: true });
  try {
    await run(WRANGLER, ['deploy', entry, '--dry-run', '--outdir', outdir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`wrangler could not bundle ${entry}:\n${stdout}${stderr}`);
  }
  const scriptPath = join(outdir, `${basename(entry).replace(/\.[cm]?[jt]sx?$/, '')}.js`);
  return { scriptPath, bytes: (await stat(scriptPath)).size };
}
