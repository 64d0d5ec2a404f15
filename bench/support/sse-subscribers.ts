import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the subscribers' process (sse-child.ts) is asked to do. */
export interface SsePlan {
  /** The GraphQL-over-SSE endpoint, e.g. `http://127.0.0.1:1234/graphql/stream`. */
  url: string;
  apiKey: string;
  /** A subscription whose `next` payloads carry `deliveryEvents.occurredAt`. */
  query: string;
  subscribers: number;
  /** `next` messages each subscriber waits for. */
  events: number;
  timeoutMs: number;
}

/** One `next` message as read: [cursor (its SSE id), ms read off the wire, ms of occurredAt]. */
export type SseArrival = [cursor: number, receivedAt: number, occurredAt: number];

export type SseReport =
  | { kind: 'ready' }
  | { kind: 'done'; arrivals: SseArrival[][] }
  | { kind: 'failed'; error: string };

export interface SseSubscribers {
  /** Every subscriber's arrivals (one list per subscriber), once each got `events` or timed out. */
  arrivals: Promise<SseArrival[][]>;
  /** Ends the child early (cleanup after a failure elsewhere). */
  kill(): void;
}

const CHILD = fileURLToPath(new URL('./sse-child.ts', import.meta.url));

/**
 * Opens `subscribers` SSE streams in a child process (sse-child.ts) and resolves once they are
 * all open; `arrivals` then resolves with what each received.
 */
export function startSseSubscribers(plan: SsePlan): Promise<SseSubscribers> {
  const child = fork(CHILD, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let markReady: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  const arrivals = new Promise<SseArrival[][]>((resolve, reject) => {
    child.on('message', (report: SseReport) => {
      if (report.kind === 'ready') markReady();
      else if (report.kind === 'done') resolve(report.arrivals);
      else {
        const error = new Error(`SSE subscribers failed: ${report.error}`);
        fail(error);
        reject(error);
      }
    });
    child.once('exit', (code) => {
      const error = new Error(`SSE subscribers exited with code ${code}`);
      fail(error);
      reject(error);
    });
  });
  // Rejections surface through `ready` or through the caller awaiting `arrivals`.
  arrivals.catch(() => {});
  child.send(plan);
  return ready.then(() => ({ arrivals, kill: () => child.kill() }));
}
