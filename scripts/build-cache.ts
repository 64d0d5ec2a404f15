import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Env var naming a folder that processes of one test run share builds through. */
export const BUILD_CACHE_ENV = 'SENDFLOW_BUILD_CACHE';

const WAIT_STEP_MS = 250;
const MAX_WAIT_MS = 10 * 60_000;

/**
 * Runs `build` once per `key` across the processes of one test run (vitest's workers each
 * start Workers, and wrangler's bundler takes seconds): the first process to take the key's
 * lock builds into the key's folder and then writes `build`'s JSON result there; the others wait
 * for that result. Without BUILD_CACHE_ENV every process
 * builds for itself, into a folder removed when it exits.
 */
export async function buildOnce<T>(
  key: string,
  build: (dir: string) => Promise<T>,
  fallbackDir: () => Promise<string>,
): Promise<T> {
  const cache = process.env[BUILD_CACHE_ENV];
  if (!cache) return await build(await fallbackDir());
  const slug = key.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const done = join(cache, slug, 'result.json');
  const lock = join(cache, `${slug}.lock`);
  for (const deadline = Date.now() + MAX_WAIT_MS; Date.now() < deadline; ) {
    if (existsSync(done)) return JSON.parse(await readFile(done, 'utf8')) as T;
    const handle = await open(lock, 'wx').catch(() => undefined);
    if (!handle) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      continue;
    }
    await handle.close();
    try {
      const dir = join(cache, slug);
      await mkdir(dir, { recursive: true });
      const result = await build(dir);
      // The result appears by a rename, once everything it names is written.
      await writeFile(`${done}.tmp`, JSON.stringify(result));
      await rename(`${done}.tmp`, done);
      return result;
    } finally {
      await rm(lock, { force: true });
    }
  }
  throw new Error(`Gave up waiting for another process to build ${key}`);
}
