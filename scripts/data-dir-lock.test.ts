import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock';
import { isZombie } from './process-state';

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  return pid ?? 0;
}

describe('the data folder lock', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sendflow-lock-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('writes this pid and removes the file on release', async () => {
    const release = await lockDataDir(dataDir);
    expect((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('refuses while a live process holds it, naming that pid', async () => {
    // The parent of this test process is alive for the whole test.
    await writeFile(join(dataDir, LOCK_FILE), `${process.ppid}\n`);
    const error = await lockDataDir(dataDir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as DataDirLockedError).pid).toBe(process.ppid);
    expect((error as Error).message).toContain(`pid ${process.ppid}`);
  });

  it('takes over a stale lock left by a process that is gone', async () => {
    await writeFile(join(dataDir, LOCK_FILE), `${deadPid()}\n`);
    const release = await lockDataDir(dataDir);
    expect((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    release();
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'takes over a lock whose process has exited but is not yet reaped (a zombie)',
    async () => {
      // `sh` starts a short `sleep` in the background and turns into a long one, which never
      // collects children: the short one stays a zombie until the long one is killed.
      const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const zombie = await new Promise<number>((resolve) =>
          parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
        );
        for (let i = 0; i < 100 && !isZombie(zombie); i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(isZombie(zombie)).toBe(true);
        await writeFile(join(dataDir, LOCK_FILE), `${zombie}\n`);
        const release = await lockDataDir(dataDir);
        expect((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
        release();
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );
});
