import { type ChildProcess, spawn } from 'node:child_process';

/** `npm start` under load (bundling, embedded Postgres) takes a while: wait this long for it. */
export const STARTUP_TIMEOUT_MS = 180_000;

export interface StartedProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs an npm script (`npm start`, `npm run example`) as a user would, in its own process group
 * so that a test can stop or kill it whole. `env` is added to this process's environment;
 * a key set to undefined is removed.
 */
export function npmRun(args: string[], env: Record<string, string | undefined>): StartedProcess {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  const child = spawn('npm', args, {
    env: merged,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // 'close', not 'exit': npm may exit on a signal before the script it runs (which inherited
  // its stdout) has written its last lines and exited; 'close' waits until every process holding
  // the pipes has let go, so `output()` is complete and the script's shutdown has finished.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output: () => output, exited };
}

/** `npm start` on `dataDir`, on a free port, embedded Postgres unless `env` says otherwise. */
export function npmStart(
  dataDir: string,
  env: Record<string, string | undefined> = {},
): StartedProcess {
  return npmRun(['start'], {
    SENDFLOW_DATA_DIR: dataDir,
    PORT: '0',
    DATABASE_URL: undefined,
    ...env,
  });
}

/** Waits until the output matches `pattern`; fails with the output if the process ends first. */
export async function waitForOutput(
  started: StartedProcess,
  pattern: RegExp,
  timeoutMs = STARTUP_TIMEOUT_MS,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = started.output().match(pattern);
    if (match) return match;
    if (started.child.exitCode !== null || started.child.signalCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { exitCode, signalCode } = started.child;
  const ended = exitCode !== null || signalCode !== null;
  throw new Error(
    `Did not see ${pattern}${ended ? ` (npm ended: exit code ${exitCode}, signal ${signalCode})` : ''} in:\n${started.output()}`,
  );
}

/** The GraphQL URL and API key `npm start` prints once it is ready. */
export async function startedApi(
  started: StartedProcess,
): Promise<{ url: string; apiKey: string }> {
  const [, url] = await waitForOutput(started, /GraphQL\s+(http:\/\/\S+)\/graphql/);
  const [, apiKey] = await waitForOutput(started, /API key\s+(\S+)/);
  return { url: url!, apiKey: apiKey! };
}

/** Signals the whole group (npm, tsx, node, workerd, postgres) this test started. */
export function signalGroup(started: StartedProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (started.child.pid && started.child.exitCode === null) {
    try {
      process.kill(-started.child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Stops the group and waits for npm to exit. */
export async function stopGroup(started: StartedProcess | undefined): Promise<void> {
  if (!started) return;
  signalGroup(started, 'SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000));
  if ((await Promise.race([started.exited, timeout])) === 'timeout') {
    signalGroup(started, 'SIGKILL');
    await started.exited;
  }
}
