import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** CPU use over an interval: this process, and the whole machine (every core, every process). */
export interface CpuUse {
  /** This process's user+system time as a share of one core (100 = one core busy). */
  processPercent: number;
  /** This process's user+system time, ms. */
  processMs: number;
  /** Busy share of all cores together (100 = every core busy), from /proc/stat when present. */
  machinePercent: number | null;
}

export interface CpuMeter {
  stop(): CpuUse;
}

function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    // Fields 3 and 4 are idle and iowait; everything else is work.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Starts measuring; `stop()` returns the CPU used since. */
export function startCpuMeter(): CpuMeter {
  const started = performance.now();
  const processStart = process.cpuUsage();
  const machineStart = machineTicks();
  return {
    stop() {
      const elapsedMs = performance.now() - started;
      const used = process.cpuUsage(processStart);
      const machineEnd = machineTicks();
      const machinePercent =
        machineStart && machineEnd && machineEnd.total > machineStart.total
          ? (100 * (machineEnd.busy - machineStart.busy)) / (machineEnd.total - machineStart.total)
          : null;
      const processMs = (used.user + used.system) / 1000;
      return { processPercent: (processMs / elapsedMs) * 100, processMs, machinePercent };
    },
  };
}

/** The machine the figures were taken on, for the report header. */
export function machineSummary(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  return `${list.length} × ${model}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/**
 * The 1- and 5-minute load averages, flagged when above the core count: other processes then
 * compete with the benchmark for CPU and its figures understate what the code can do.
 */
export function loadSummary(): string {
  const [one = 0, five = 0] = loadavg();
  const cores = cpus().length;
  const busy =
    one > cores
      ? ` — BUSY: more runnable processes than ${cores} cores, figures are pessimistic`
      : '';
  return `load average ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min)${busy}`;
}

/** This process's workerd children (Linux: pgrep), none elsewhere. */
export function workerdPids(): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'workerd'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * User + system CPU time of this process's workerd children so far, ms (/proc/<pid>/stat, in
 * clock ticks of 10 ms), or null where there is no /proc.
 */
export function workerdCpuMs(): number | null {
  const pids = workerdPids();
  if (pids.length === 0) return null;
  try {
    let ticks = 0;
    for (const pid of pids) {
      // The command name is in parentheses and may hold spaces: count fields after it.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * 10;
  } catch {
    return null;
  }
}
