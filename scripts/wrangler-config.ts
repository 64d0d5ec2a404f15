import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from 'miniflare';
import { writeGraphiQLAssets } from './graphiql-assets';

/** The project's wrangler.toml: the one place deploy settings live. */
export const WRANGLER_CONFIG = fileURLToPath(new URL('../wrangler.toml', import.meta.url));

/** What the local runtime (npm start, tests) takes from wrangler.toml to behave as deployed. */
export interface WranglerSettings {
  compatibilityDate: string;
  compatibilityFlags: string[];
  alias: Record<string, string>;
  queueProducers: NonNullable<WorkerOptions['queueProducers']>;
  queueConsumers: NonNullable<WorkerOptions['queueConsumers']>;
  /** `max_concurrency` per consumed queue: deploys use it, Miniflare's options have no place for it. */
  consumerConcurrency: Record<string, number | undefined>;
  durableObjects: NonNullable<WorkerOptions['durableObjects']>;
  /** R2 bucket bindings (binding → bucket), e.g. `MEDIA_BUCKET` → `sendflow-media`. */
  r2Buckets: NonNullable<WorkerOptions['r2Buckets']>;
  crons: string[];
  /** `[assets]`: the folder served before the Worker (GraphiQL's files), as Miniflare takes it. */
  assets: WorkerOptions['assets'];
  vars: Record<string, unknown>;
}

/** wrangler resolves relative alias targets from the config's folder; so do we. */
function resolveAliases(alias: Record<string, string>, base: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(alias).map(([name, target]) => [
      name,
      target.startsWith('.') ? resolve(base, target) : target,
    ]),
  );
}

/**
 * Reads wrangler.toml with wrangler's own reader, and maps queues to Miniflare options the way
 * `wrangler dev` does, so that local queues match the deployed ones. Importing wrangler takes
 * about two seconds: call it from long-lived processes, not from every test file.
 */
export async function readWranglerSettings(path = WRANGLER_CONFIG): Promise<WranglerSettings> {
  const { unstable_readConfig, unstable_getMiniflareWorkerOptions } = await import('wrangler');
  const config = unstable_readConfig({ config: path });
  // wrangler's reader refuses a missing `[assets]` folder before any `[build]` command could
  // write it, so on a fresh clone (npm start, tests) the GraphiQL files are written first.
  const assetsDirectory =
    config.assets?.directory && resolve(dirname(path), config.assets.directory);
  if (assetsDirectory && !existsSync(assetsDirectory)) await writeGraphiQLAssets(assetsDirectory);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  return {
    compatibilityDate: config.compatibility_date ?? '',
    compatibilityFlags: config.compatibility_flags,
    alias: resolveAliases(config.alias ?? {}, dirname(path)),
    queueProducers: (workerOptions.queueProducers ?? {}) as WranglerSettings['queueProducers'],
    queueConsumers: (workerOptions.queueConsumers ?? {}) as WranglerSettings['queueConsumers'],
    consumerConcurrency: Object.fromEntries(
      (config.queues.consumers ?? []).map(
        (consumer: { queue: string; max_concurrency?: number | null }) => [
          consumer.queue,
          consumer.max_concurrency ?? undefined,
        ],
      ),
    ),
    durableObjects: Object.fromEntries(
      config.durable_objects.bindings.map((binding: { name: string; class_name: string }) => [
        binding.name,
        binding.class_name,
      ]),
    ),
    r2Buckets: (workerOptions.r2Buckets ?? {}) as WranglerSettings['r2Buckets'],
    crons: config.triggers.crons ?? [],
    assets: workerOptions.assets as WranglerSettings['assets'],
    vars: config.vars,
  };
}
