import { mkdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';

/** The compatibility date the Worker is built and run with; keep equal to wrangler.toml's. */
export const COMPATIBILITY_DATE = '2026-04-20';

/** Compatibility flags, equal to wrangler.toml's: MJML needs Node built-ins (DESIGN.md). */
export const COMPATIBILITY_FLAGS = ['nodejs_compat'];

/**
 * Module aliases applied to every Worker bundle, mirrored in wrangler.toml's `[alias]` table so
 * the production bundle and the one tests run are the same.
 */
export const WORKER_ALIASES: Record<string, string> = {};

const NODE_BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/**
 * Packages written for Node import built-ins without the `node:` prefix (`require('events')`).
 * workerd provides them under `node:` with nodejs_compat, so rewrite and leave them external.
 */
const nodeBuiltinsPlugin: Plugin = {
  name: 'node-builtins',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[a-z_/]+$/ }, function resolveBuiltin(args) {
      if (!NODE_BUILTINS.has(args.path)) return undefined;
      return { path: `node:${args.path}`, external: true };
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
