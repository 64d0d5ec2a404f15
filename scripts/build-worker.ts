import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleWorker } from './worker-bundle';

const ENTRY = fileURLToPath(new URL('../edge/worker.ts', import.meta.url));
const OUTDIR = fileURLToPath(new URL('../dist', import.meta.url));

/**
 * `npm run build:worker`: bundles the Worker into dist/worker.js with wrangler, as `wrangler
 * deploy` would (scripts/worker-bundle.ts), and prints its size against Workers' script limits.
 */
async function main(): Promise<void> {
  const { scriptPath, bytes } = await bundleWorker(ENTRY, OUTDIR);
  const gzipped = gzipSync(await readFile(scriptPath)).length;
  const kib = (size: number) => `${(size / 1024).toFixed(1)} KiB`;
  console.log(
    `dist/worker.js: ${kib(bytes)} (gzip ${kib(gzipped)}; limits 3 MiB free, 10 MiB paid)`,
  );
}

await main();
