import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Miniflare, type WorkerOptions } from 'miniflare';
import { startWsProxy, type WsProxyOptions } from '../db/ws-proxy';
import { buildOnce } from './build-cache';
import { bundleWorker } from './worker-bundle';
import { readWranglerSettings } from './wrangler-config';

export interface StartWorkerOptions {
  /** The Worker entry, a TypeScript file exporting the handler object (e.g. `edge/worker.ts`). */
  entry: string;
  /** Env bindings: strings become text vars, other JSON values JSON vars. */
  bindings?: Record<string, unknown>;
  /** Queue producer bindings: `{ DISPATCH_QUEUE: 'sendflow-dispatch' }` (binding → queue). */
  queueProducers?: WorkerOptions['queueProducers'];
  /**
   * Queue consumers: `{ 'sendflow-dispatch': { maxBatchSize, maxBatchTimeout, maxRetries,
   * deadLetterQueue } }`. Miniflare then delivers batches to the entry's `queue` handler.
   */
  queueConsumers?: WorkerOptions['queueConsumers'];
  /** Durable Object bindings: `{ EVENT_HUB: 'EventHub' }` (binding → exported class). */
  durableObjects?: WorkerOptions['durableObjects'];
  /** R2 bucket bindings: `{ MEDIA_BUCKET: 'sendflow-media' }` (binding → bucket). */
  r2Buckets?: WorkerOptions['r2Buckets'];
  /** Where local R2 objects are kept (a folder); default: in memory, gone on dispose. */
  r2Persist?: string;
  /** Enables `/cdn-cgi/handler/scheduled` (and `triggerScheduled`) for the `scheduled` handler. */
  scheduled?: boolean;
  /** Listen on this port (default: a free one). */
  port?: number;
  /** Listen on this host (default 127.0.0.1). */
  host?: string;
  /**
   * PEM certificates the Worker's outbound TLS (fetch, and `cloudflare:sockets` STARTTLS or
   * implicit TLS) trusts in addition to the public CAs: a test server's self-signed certificate.
   */
  trustedCertificates?: string[];
  /**
   * Opens the V8 inspector of the Worker's isolate (Miniflare's inspector proxy on a free
   * port): `inspectorUrl()` then names its DevTools-protocol WebSocket.
   */
  inspector?: boolean;
}

/** Miniflare's default outbound network, plus extra trusted certificates. */
function outboundNetwork(trustedCertificates: string[]): WorkerOptions['outboundService'] {
  return {
    network: {
      allow: ['public', 'private', '240.0.0.0/4'],
      deny: [],
      tlsOptions: { trustBrowserCas: true, trustedCertificates },
    },
  };
}

export interface RunningWorker {
  mf: Miniflare;
  /** Base URL the Worker listens on, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  url: string;
  /** Sends a request to the Worker without going through the network. */
  dispatchFetch: Miniflare['dispatchFetch'];
  /**
   * Runs the Worker's `scheduled` handler once, as a cron trigger would; rejects when the
   * handler throws (or the entry has none).
   */
  triggerScheduled(cron?: string, scheduledTime?: Date): Promise<void>;
  /** The isolate's DevTools-protocol WebSocket URL; only with the `inspector` option. */
  inspectorUrl(): Promise<string>;
  dispose(): Promise<void>;
}

interface WorkerBuild {
  scriptPath: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  assets: WorkerOptions['assets'];
}

/** Builds per entry, shared by every Worker a process (or a test run) starts. */
const builds = new Map<string, Promise<WorkerBuild>>();

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sendflow-worker-'));
  // 'exit' listeners must be synchronous: nothing asynchronous runs after them.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The entry bundled by wrangler, with wrangler.toml's compatibility date, flags and static
 * assets (wrangler's `[build]` command writes them before bundling).
 */
function buildWorker(entry: string): Promise<WorkerBuild> {
  const absolute = resolve(entry);
  let build = builds.get(absolute);
  if (!build) {
    build = buildOnce(
      absolute,
      async function bundleEntry(dir) {
        const [{ scriptPath }, settings] = await Promise.all([
          bundleWorker(absolute, dir),
          readWranglerSettings(),
        ]);
        const { compatibilityDate, compatibilityFlags, assets } = settings;
        return { scriptPath, compatibilityDate, compatibilityFlags, assets };
      },
      temporaryDir,
    );
    builds.set(absolute, build);
  }
  return build;
}

/**
 * Runs a Worker entry in real workerd (Miniflare), bundled by wrangler as for deploy
 * (scripts/worker-bundle.ts), with wrangler.toml's compatibility date, flags and static assets. Tests and
 * `npm start` both use it.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { scriptPath, compatibilityDate, compatibilityFlags, assets } = await buildWorker(
    options.entry,
  );
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    // Module names are paths relative to this root; the bundle lives in a temp dir.
    modulesRoot: dirname(scriptPath),
    // The default `cf` object is fetched from the internet; tests run offline.
    cf: false,
    compatibilityDate,
    compatibilityFlags,
    // Served before the Worker, as deployed: GraphiQL's files (api/graphiql-page.ts).
    assets,
    bindings: (options.bindings ?? {}) as WorkerOptions['bindings'],
    queueProducers: options.queueProducers,
    queueConsumers: options.queueConsumers,
    durableObjects: options.durableObjects,
    r2Buckets: options.r2Buckets,
    ...(options.r2Persist ? { r2Persist: options.r2Persist } : {}),
    unsafeTriggerHandlers: options.scheduled ?? false,
    ...(options.trustedCertificates
      ? { outboundService: outboundNetwork(options.trustedCertificates) }
      : {}),
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.inspector ? { inspectorPort: 0, unsafeInspectorProxy: true } : {}),
  });
  const ready = await mf.ready;
  return {
    mf,
    url: ready.origin,
    dispatchFetch: mf.dispatchFetch.bind(mf),
    async triggerScheduled(cron = '* * * * *', scheduledTime = new Date()) {
      const worker = await mf.getWorker();
      const { outcome } = await worker.scheduled({ cron, scheduledTime });
      if (outcome !== 'ok') throw new Error(`The scheduled handler ended with "${outcome}"`);
    },
    async inspectorUrl() {
      if (!options.inspector) throw new Error('Start the Worker with `inspector: true`');
      // The proxy serves each Worker at /<name>; the one Worker here is unnamed.
      return new URL('/', await mf.getInspectorURL()).href;
    },
    dispose: () => mf.dispose(),
  };
}

export interface DbProxy {
  /** `host:port` for the Worker's `DB_WS_PROXY` binding. */
  wsProxy: string;
  /** Upstream connections open and WebSockets waiting for one (see db/ws-proxy.ts). */
  stats(): { open: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/**
 * Starts the WebSocket-to-TCP proxy (db/ws-proxy.ts) for one Postgres URL, so a Worker can reach
 * it with the Neon driver: bindings `{ DATABASE_URL: databaseUrl, DB_WS_PROXY: wsProxy }`.
 * `limits.maxConnections` bounds the upstream connections (requests beyond it wait). Server
 * sessions are kept between invocations, as Neon's pooled connection string keeps them in
 * production (docs/architecture.md, "Local database").
 */
export async function startDbProxy(
  databaseUrl: string,
  limits: Pick<WsProxyOptions, 'maxConnections' | 'maxWaitMs'> = {},
): Promise<DbProxy> {
  const { hostname, port } = new URL(databaseUrl);
  const proxy = await startWsProxy({
    allowedTargets: [`${hostname}:${port || '5432'}`],
    reuseSessions: true,
    ...limits,
  });
  return { wsProxy: proxy.address, stats: proxy.stats, close: () => proxy.close() };
}
