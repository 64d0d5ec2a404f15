import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as graphiql from '@graphql-yoga/render-graphiql/graphiql';
import { GRAPHIQL_ASSETS_PATH, GRAPHIQL_FILES } from '../api/graphiql-page';

/** wrangler.toml's `[assets] directory`: built here, never committed. */
export const ASSETS_DIR = fileURLToPath(new URL('../.assets', import.meta.url));

/** A `data:` URL's bytes (the favicon ships as one). */
function dataUrlBytes(url: string): Buffer {
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
}

/**
 * Writes GraphiQL's files into ASSETS_DIR from `@graphql-yoga/render-graphiql`, the package
 * whose strings Yoga would otherwise inline into one 9 MB page. wrangler runs this as the
 * `[build]` command before every bundle (deploy, and the local bundle of npm start and the
 * tests), so the files always match the installed version. Bundles build in parallel during a
 * test run: each file appears by a rename, whole.
 */
export async function writeGraphiQLAssets(root = ASSETS_DIR): Promise<void> {
  const dir = join(root, GRAPHIQL_ASSETS_PATH);
  await mkdir(dir, { recursive: true });
  const files: Record<keyof typeof GRAPHIQL_FILES, string | Buffer> = {
    script: graphiql.js,
    style: graphiql.css,
    favicon: dataUrlBytes(graphiql.favicon),
    editorWorker: graphiql.editorWorkerService,
    jsonWorker: graphiql.jsonWorker,
    graphqlWorker: graphiql.graphqlWorker,
  };
  await Promise.all(
    Object.entries(files).map(async ([key, contents]) => {
      const path = join(dir, GRAPHIQL_FILES[key as keyof typeof GRAPHIQL_FILES]);
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, contents);
      await rename(temporary, path);
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeGraphiQLAssets();
