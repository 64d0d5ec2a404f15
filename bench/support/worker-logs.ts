/**
 * Miniflare relays every line workerd prints through this process's `console.log` (its default
 * `handleRuntimeStdio`). Under load the Worker's per-request `info` lines (edge/log.ts) would
 * bury the tables, so while a benchmark drives a Worker they are counted and dropped; warnings,
 * errors and anything that is not a structured line still print.
 */
export interface WorkerLogFilter {
  /** Structured `info` lines dropped so far, by `msg`. */
  dropped: Map<string, number>;
  /** The dropped lines whose `msg` was asked for in `keep`, parsed, in order. */
  kept: Record<string, unknown>[];
  /** Warning and error lines seen so far (they were printed). */
  problems: number;
  restore(): void;
}

/** Starts filtering `console.log` until `restore()`; lines with a `msg` in `keep` are kept. */
export function filterWorkerLogs(keep: readonly string[] = []): WorkerLogFilter {
  const original = console.log;
  const originalError = console.error;
  const dropped = new Map<string, number>();
  const filter: WorkerLogFilter = {
    dropped,
    kept: [],
    problems: 0,
    restore() {
      console.log = original;
      console.error = originalError;
    },
  };
  console.log = function filteredLog(...args: unknown[]) {
    const [first] = args;
    if (args.length === 1 && typeof first === 'string' && first.startsWith('{"time":')) {
      try {
        const line = JSON.parse(first) as { level?: string; msg?: string };
        if (line.level === 'info' || line.level === 'debug') {
          const msg = line.msg ?? '';
          if (keep.includes(msg)) filter.kept.push(line);
          dropped.set(msg, (dropped.get(msg) ?? 0) + 1);
          return;
        }
        filter.problems++;
      } catch {
        // Not one of our lines after all: print it.
      }
    }
    original.apply(console, args);
  };
  console.error = function countedError(...args: unknown[]) {
    filter.problems++;
    originalError.apply(console, args);
  };
  return filter;
}
