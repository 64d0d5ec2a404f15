import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const apiRoot = fileURLToPath(new URL('.', import.meta.url));
const edgeRoot = resolve(apiRoot, '../edge');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * The API reaches the send pipeline through edge/pipeline.ts only, media through edge/media.ts,
 * and channels through the channel catalogue at the top of edge/channels/ (the registry and the
 * shared definition types), never through dispatch, rendering, the Worker host or an
 * integration's files.
 */
const ALLOWED = [/^pipeline$/, /^media$/, /^log$/, /^channels\/[a-z-]+$/];

test('api/ imports the pipeline through edge/pipeline.ts and channels through their catalogue', () => {
  const reaches = sources(apiRoot).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/from\s+'(\.[^']+)'/g)]
      .map((match) => resolve(file, '..', match[1]!))
      .filter((target) => target.startsWith(`${edgeRoot}/`))
      .map((target) => relative(edgeRoot, target))
      .filter((target) => !ALLOWED.some((pattern) => pattern.test(target)))
      .map((target) => `${relative(apiRoot, file)} → edge/${target}`);
  });
  expect(reaches).toEqual([]);
});
