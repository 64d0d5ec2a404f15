import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authenticate } from '../api/auth';
import { createWorkspaceWithKey } from '../api/bootstrap';
import { generateCredentialsKey } from '../db/credentials';
import { createNodePostgres } from '../db/drivers/node-postgres';
import { migrateDatabase } from '../db/migrate';
import { passThroughVariables } from '../edge/host/provider-endpoints';
import { DataDirLockedError, lockDataDir } from './data-dir-lock';
import { startEmbeddedPostgres } from './embedded-postgres';
import { type RunningWorker, startDbProxy, startWorker } from './local-worker';
import { readWranglerSettings } from './wrangler-config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_PORT = 8787;
const DEFAULT_DB_CONNECTIONS = 20;
const CRON_CHECK_MS = 1_000;
const WORKER_ENTRY = resolve(ROOT, 'edge/worker.ts');

/** Work to undo on shutdown, latest first. */
const cleanups: Array<() => Promise<void> | void> = [];

async function shutdown(code: number): Promise<never> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error('While stopping:', error);
    }
  }
  process.exit(code);
}

/** Reads a one-line secret file, creating it with `create()` (owner-only) the first time. */
async function readOrCreate(file: string, create: () => Promise<string> | string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const value = await create();
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/**
 * The key kept in `.data/local-api-key`, or a new workspace and key when there is none or it no
 * longer opens this database (DATABASE_URL pointed elsewhere, the database was reset).
 */
async function localApiKey(databaseUrl: string, file: string): Promise<string> {
  const postgres = createNodePostgres(databaseUrl, { max: 1 });
  try {
    const stored = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (stored && (await authenticate(postgres.db, stored))) return stored;
    const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const { apiKey } = await createWorkspaceWithKey(postgres.db, {
      name: 'Local workspace',
      timezone,
    });
    await writeFile(file, `${apiKey}\n`, { mode: 0o600 });
    return apiKey;
  } finally {
    await postgres.close();
  }
}

/** A clear message, before anything is created, when the port is taken (workerd's is not). */
async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(
              `Port ${port} is in use. Stop what uses it, or start on another: PORT=8788 npm start`,
            )
          : error,
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** A startup problem the user can fix: printed alone, without a stack. */
class StartupError extends Error {}

class PortInUseError extends StartupError {}

/**
 * The local queue lives in Miniflare's memory and starts empty, so runs enqueued by an earlier
 * `npm start` (a wait's delayed message, say) are enqueued no longer. Marking them unenqueued
 * lets the next sweep (every minute) pick them up when due, instead of after the sweep's
 * ten-minute staleness limit. A message that does survive is harmless: claims are idempotent.
 */
async function forgetLocalQueue(databaseUrl: string): Promise<void> {
  const postgres = createNodePostgres(databaseUrl, { max: 1 });
  try {
    await postgres.pool.query(
      "update runs set enqueued_at = null where status = 'active' and enqueued_at is not null",
    );
  } finally {
    await postgres.close();
  }
}

/**
 * Most connections `npm start` opens to Postgres at once (`SENDFLOW_DB_CONNECTIONS`, default
 * 20): well below a stock server's max_connections of 100, so that a burst of requests waits
 * in the local proxy (db/ws-proxy.ts) instead of meeting "too many clients".
 */
function databaseConnections(): number {
  const value = Number(process.env.SENDFLOW_DB_CONNECTIONS ?? DEFAULT_DB_CONNECTIONS);
  if (!Number.isInteger(value) || value < 1) {
    throw new StartupError('SENDFLOW_DB_CONNECTIONS must be a positive integer');
  }
  return value;
}

/** Neon speaks WebSocket itself; any other Postgres needs our local proxy (db/ws-proxy.ts). */
function needsWsProxy(databaseUrl: string): boolean {
  return !new URL(databaseUrl).hostname.endsWith('.neon.tech');
}

/**
 * Runs the cron triggers of wrangler.toml against the local Worker, as Cloudflare would: each
 * matching minute, once. Only `* * * * *` style minute schedules are needed today; other
 * expressions run every minute too, which is what a sweep wants locally.
 */
function runCrons(worker: RunningWorker, crons: string[]): () => void {
  let lastMinute = Math.floor(Date.now() / 60_000);
  const timer = setInterval(async function cronTick() {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute === lastMinute) return;
    lastMinute = minute;
    for (const cron of crons) {
      await worker
        .triggerScheduled(cron, new Date(minute * 60_000))
        .catch((error: Error) => console.error(`Cron ${cron}: ${error.message}`));
    }
  }, CRON_CHECK_MS);
  return () => clearInterval(timer);
}

/**
 * `npm start`: the whole backend on this machine with no setup. The Worker runs in workerd
 * (Miniflare), on an embedded Postgres kept in the data folder (or the Postgres in
 * DATABASE_URL), with local queues and crons from wrangler.toml.
 */
async function main(): Promise<void> {
  const dataDir = resolve(process.env.SENDFLOW_DATA_DIR ?? resolve(ROOT, '.data'));
  const port = process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT;
  await assertPortFree(port);
  await mkdir(dataDir, { recursive: true });
  cleanups.push(await lockDataDir(dataDir));

  const credentialsKey = await readOrCreate(
    resolve(dataDir, 'credentials.key'),
    generateCredentialsKey,
  );
  const settingsLoading = readWranglerSettings();

  let databaseUrl = process.env.DATABASE_URL;
  let databaseLabel = databaseUrl ? `Postgres at ${new URL(databaseUrl).host}` : '';
  if (!databaseUrl) {
    const clusterDir = resolve(dataDir, 'postgres');
    const embedded = await startEmbeddedPostgres({ dataDir: clusterDir });
    cleanups.push(() => embedded.stop());
    databaseUrl = embedded.url;
    databaseLabel = `embedded Postgres in ${clusterDir}`;
  }
  await migrateDatabase(databaseUrl);
  await forgetLocalQueue(databaseUrl);
  const apiKey = await localApiKey(databaseUrl, resolve(dataDir, 'local-api-key'));

  const bindings: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    CREDENTIALS_KEY: credentialsKey,
    ENVIRONMENT: 'development',
    ALLOW_PRIVATE_URLS: 'true',
    // Signed media links need an origin outside a request (the queue consumer sends them):
    // this Worker's own address (unknown before it listens on PORT=0) unless PUBLIC_URL,
    // passed through below, names another.
    ...(port !== 0 ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    // Provider endpoints (GRAPH_API_URL…) and PUBLIC_URL pass through, to point at stand-ins.
    ...passThroughVariables(process.env),
  };
  if (needsWsProxy(databaseUrl)) {
    const proxy = await startDbProxy(databaseUrl, { maxConnections: databaseConnections() });
    cleanups.push(() => proxy.close());
    bindings.DB_WS_PROXY = proxy.wsProxy;
    // One connection per invocation: with a bounded number of connections, invocations that
    // each held one and waited for a second could wait on each other until the proxy gives up.
    bindings.DB_POOL_MAX = '1';
  }

  const settings = await settingsLoading;
  const worker = await startWorker({
    entry: WORKER_ENTRY,
    bindings: { ...settings.vars, ...bindings },
    queueProducers: settings.queueProducers,
    queueConsumers: settings.queueConsumers,
    durableObjects: settings.durableObjects,
    // Uploaded files live in the data folder too, so they survive restarts.
    r2Buckets: settings.r2Buckets,
    r2Persist: resolve(dataDir, 'r2'),
    scheduled: true,
    port,
  });
  cleanups.push(() => worker.dispose());
  cleanups.push(runCrons(worker, settings.crons));

  console.log(`
Sendflow is running on ${databaseLabel}.
  GraphQL   ${worker.url}/graphql   (open it in a browser for GraphiQL)
  Health    ${worker.url}/health
  API key   ${apiKey}   (send it as Authorization: Bearer <key>)
  Data      ${dataDir}
Press Ctrl+C to stop.
`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('Stopping…');
    void shutdown(0);
  });
}

main().catch(async (error: unknown) => {
  if (error instanceof DataDirLockedError || error instanceof StartupError) {
    console.error(error.message);
  } else console.error('Sendflow failed to start:', error);
  await shutdown(1);
});
