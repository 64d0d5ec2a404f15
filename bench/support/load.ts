import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CpuMeter, startCpuMeter } from './cpu';

/** One HTTP load measurement: what autocannon sends, for how long. */
export interface LoadPlan {
  url: string;
  connections: number;
  /** Measured seconds. */
  seconds: number;
  /** Seconds of load before the measurement starts, not counted. */
  warmupSeconds: number;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Every response body must equal this; others count as mismatches. */
  expectBody?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  /** Requests answered during the warm-up (not in the figures, but in the CPU used). */
  warmupRequests: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Responses whose body differed from `expectBody`. */
  mismatches: number;
  seconds: number;
}

/** A load result with the CPU used meanwhile (warm-up included): see cpu.ts. */
export interface LoadRun extends LoadResult {
  cpu: ReturnType<CpuMeter['stop']>;
  /**
   * This process's CPU per request answered (warm-up included). For a server running in this
   * process it is the server's cost per request, which competing load on the machine changes
   * far less than it changes requests/s.
   */
  cpuMsPerRequest: number;
}

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));

/**
 * Runs autocannon in a child process (load-child.ts) against a server this process serves, and
 * returns its figures with the CPU used meanwhile. A child keeps the client off the server's
 * event loop: on a 2-core machine the two then get a core each (Postgres takes its share).
 */
export function runLoad(plan: LoadPlan): Promise<LoadRun> {
  const child = fork(CHILD, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const meter = startCpuMeter();
  return new Promise((resolve, reject) => {
    child.once('message', (message: { ok: boolean; result?: LoadResult; error?: string }) => {
      const cpu = meter.stop();
      if (message.ok && message.result) {
        const answered = message.result.requests + message.result.warmupRequests;
        resolve({ ...message.result, cpu, cpuMsPerRequest: cpu.processMs / Math.max(1, answered) });
      } else reject(new Error(`load generator failed: ${message.error}`));
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with code ${code}`));
    });
    child.send(plan);
  });
}
