import { readFileSync } from 'node:fs';

/**
 * Whether `pid` names a process that still runs. A process that has exited but whose parent
 * has not collected it yet (a `kill -9`'d `npm start` whose npm parent died with it, until
 * init reaps it) still answers `kill(pid, 0)`, yet holds nothing: it counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * Linux shows an exited, unreaped process as state `Z` in /proc/<pid>/stat. Where there is no
 * /proc (macOS), nothing is known to be a zombie and `kill(pid, 0)` is all there is.
 */
export function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "<pid> (<command, which may hold spaces and parentheses>) <state> …"
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}
