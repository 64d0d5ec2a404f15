import { mkdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';

/** The compatibility date the Worker is built and run with; keep equal to wrangler.toml's. */
export const COMPATIBILITY_DATE = '2026-04-20';

/** Compatibility flags, equal to wrangler.toml's: MJML needs Node built-ins (DESIGN.md). */
export const COMPATIBILITY_FLAGS = ['nodejs_compat'];

const EMPTY_MODULE = fileURLToPath(new URL('./empty-module.js', import.meta.url));

/**
 * Module aliases applied to every Worker bundle, mirrored in wrangler.toml's `[alias]` table so
 * the production bundle and the one tests run are the same. MJML pulls in `typescript` (through
 * cosmiconfig's config loader, ~9 MB, never used at run time) and `htmlnano` (minify only, which
 * we keep off; it also holds a dynamic `import()` that Miniflare refuses).
 */
export const WORKER_ALIASES: Record<string, string> = {
  typescript: EMPTY_MODULE,
  htmlnano: EMPTY_MODULE,
};

const NODE_BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

const REQUIRED_BUILTIN = 'node-builtin-require';

/**
 * Packages written for Node import built-ins without the `node:` prefix (`require('events')`).
 * workerd provides them under `node:` with nodejs_compat, so rewrite and leave them external.
 * A CommonJS `require()` of an external cannot work in an ES module bundle (esbuild's shim
 * throws "Dynamic require ... is not supported"), so those go through a small ES module that
 * imports the built-in and re-exports it, as wrangler's own bundler does.
 */
const nodeBuiltinsPlugin: Plugin = {
  name: 'node-builtins',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, function resolveBuiltin(args) {
      const name = args.path.replace(/^node:/, '');
      if (!NODE_BUILTINS.has(name)) return undefined;
      if (args.kind === 'require-call')
        return { path: `node:${name}`, namespace: REQUIRED_BUILTIN };
      return { path: `node:${name}`, external: true };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: REQUIRED_BUILTIN }, function loadBuiltin(args) {
      return {
        contents: `import * as builtin from '${args.path}';\nmodule.exports = builtin.default ?? builtin;`,
        loader: 'js',
      };
    });
  },
};

/**
 * esbuild settings for the Worker, matching what wrangler uses for `wrangler deploy`: ESM,
 * workerd/browser export conditions, and Node built-ins plus `cloudflare:*` left to the runtime.
 */
export const WORKER_BUILD_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['browser', 'module', 'main'],
  external: ['cloudflare:*', 'node:*'],
  alias: WORKER_ALIASES,
  plugins: [nodeBuiltinsPlugin],
  sourcemap: 'external',
  legalComments: 'none',
  logLevel: 'warning',
} satisfies BuildOptions;

/** Bundles a Worker entry (TypeScript) into one ES module at `outfile`; returns its byte size. */
export async function bundleWorker(entry: string, outfile: string): Promise<number> {
  await mkdir(dirname(outfile), { recursive: true });
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [entry],
    outfile,
    metafile: true,
  });
  const output =
    result.metafile.outputs[
      Object.keys(result.metafile.outputs).find((name) => name.endsWith('.js')) ?? ''
    ];
  return output?.bytes ?? 0;
}
