import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const STARTUP_TIMEOUT_MS = 90_000;

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `npm start` as a user would, with no DATABASE_URL, in its own process group. */
function npmStart(dataDir: string): Started {
  const env: NodeJS.ProcessEnv = { ...process.env, SENDFLOW_DATA_DIR: dataDir, PORT: '0' };
  delete env.DATABASE_URL;
  const child = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const match = started.output().match(pattern);
    if (match) return match;
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Did not see ${pattern} in:\n${started.output()}`);
}

/** Signals the whole group (npm, tsx, node) that this test started. */
function stop(started: Started, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (started.child.pid && started.child.exitCode === null)
    process.kill(-started.child.pid, signal);
}

describe('npm start', () => {
  let dataDir: string;
  let first: Started;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sendflow-start-'));
    first = npmStart(dataDir);
  });

  afterAll(async () => {
    if (first) {
      stop(first, 'SIGKILL');
      await first.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'starts with no setup, prints the GraphQL URL and a working API key, and refuses a second start',
    async () => {
      const [, url] = await waitFor(first, /GraphQL\s+(http:\/\/\S+)\/graphql/);
      const [, apiKey] = await waitFor(first, /API key\s+(\S+)/);

      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });

      const second = npmStart(dataDir);
      expect(await second.exited).not.toBe(0);
      expect(second.output()).toMatch(/is in use by another Sendflow process \(pid \d+\)/);

      stop(first);
      await first.exited;
      expect(first.output()).toContain('Stopping');
      expect(existsSync(join(dataDir, 'lock'))).toBe(false);
      expect(existsSync(join(dataDir, 'local-api-key'))).toBe(true);
    },
    STARTUP_TIMEOUT_MS * 2,
  );
});
