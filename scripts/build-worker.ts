import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleWorker } from './worker-bundle';

const ENTRY = fileURLToPath(new URL('../edge/worker.ts', import.meta.url));
const OUTFILE = fileURLToPath(new URL('../dist/worker.js', import.meta.url));

/**
 * `npm run build:worker`: bundles the Worker into dist/worker.js with the settings wrangler uses
 * for deploy (scripts/worker-bundle.ts), and prints its size against Workers' script limits.
 */
async function main(): Promise<void> {
  const bytes = await bundleWorker(ENTRY, OUTFILE);
  const gzipped = gzipSync(await readFile(OUTFILE)).length;
  const kib = (size: number) => `${(size / 1024).toFixed(1)} KiB`;
  console.log(
    `dist/worker.js: ${kib(bytes)} (gzip ${kib(gzipped)}; limits 3 MiB free, 10 MiB paid)`,
  );
}

await main();
