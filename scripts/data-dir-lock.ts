import { readFileSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './process-state';

/** The lock file's name inside the data folder; it holds the owner's pid. */
export const LOCK_FILE = 'lock';

/** Raised when another live process already uses the data folder. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `${dataDir} is in use by another Sendflow process (pid ${pid}). Stop that one first, or ` +
        'set SENDFLOW_DATA_DIR to another folder.',
    );
  }
}

async function lockOwner(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Claims the data folder for this process. Postgres guards its own cluster folder, but the
 * folder also holds the credentials key and the local API key, and a second `npm start` would
 * fail half-way (port, cluster) with a less clear message; so the folder holds a lock file with the owner's pid,
 * created exclusively. A lock whose pid is no longer alive is stale (a crash, a kill -9) and is
 * taken over. Returns the function that releases it (also run on process exit).
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      const release = function releaseDataDir() {
        process.off('exit', release);
        // Only remove our own lock: never one a later owner took over.
        let owner = '';
        try {
          owner = readFileSync(file, 'utf8').trim();
        } catch {
          return;
        }
        if (owner === String(process.pid)) rmSync(file, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = await lockOwner(file);
      if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(dataDir, pid);
      }
      await rm(file, { force: true });
    }
  }
  // Two processes took over the same stale lock at once and the other one won.
  throw new DataDirLockedError(dataDir, (await lockOwner(file)) ?? 0);
}
