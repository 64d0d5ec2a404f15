import { createWorkspaceWithKey } from '../../api/bootstrap';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { type RunningWorker, startDbProxy } from '../../test/workerd';
import type { Suite, SuiteOutcome } from '../suite';
import { onBenchDatabase } from '../support/database';
import { startDispatchWorker } from '../support/dispatch-worker';
import { type FetchLike, mutate } from '../support/graphql';
import { startReceiptCounter } from '../support/receipt-counter';
import { type SseSubscribers, startSseSubscribers } from '../support/sse-subscribers';
import { figure, formatTable } from '../support/table';
import { filterWorkerLogs, type WorkerLogFilter } from '../support/worker-logs';
import { START_WORKFLOW } from '../support/workflow-documents';
import {
  insertContacts,
  isRenderedMessage,
  publishOneStepWorkflow,
  signingSecret,
} from './dispatch-throughput';

/**
 * Issue 8: how long a status event takes from the pipeline's record statement to a subscriber —
 * 1,000 sends through the Worker in workerd, each `delivery.sent` streamed over SSE by the
 * EventHub to several subscribers. The event's `occurredAt` is the record statement's
 * transaction time (Postgres and this process share one clock); the latency is its arrival
 * here minus that.
 */

const SENDS = 1_000;
const SUBSCRIBERS = 10;
const START_CHUNK = 250;
const DEADLINE_MS = 180_000;
/** The goal issue 8 sets for p95. */
const GOAL_P95_MS = 100;

const SENT_EVENTS = /* GraphQL */ `
  subscription { deliveryEvents(filter: { types: [DELIVERY_SENT] }) { cursor occurredAt } }
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(databaseUrl: string): Promise<SuiteOutcome> {
  const postgres = createNodePostgres(databaseUrl, { max: 2 });
  const proxy = await startDbProxy(databaseUrl);
  const secret = signingSecret();
  const counter = await startReceiptCounter(secret, isRenderedMessage);
  let worker: RunningWorker | undefined;
  let logs: WorkerLogFilter | undefined;
  let subscribers: SseSubscribers | undefined;
  try {
    // The Worker's per-send info lines would bury the table (bench/support/worker-logs.ts).
    logs = filterWorkerLogs();
    worker = await startDispatchWorker(databaseUrl, proxy);
    const running = worker;
    const fetcher: FetchLike = (url, init) =>
      running.dispatchFetch(url, init as never) as unknown as Promise<Response>;
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Events' });
    const contactIds = await insertContacts(postgres.db, workspaceId, SENDS);
    const workflowId = await publishOneStepWorkflow(fetcher, apiKey, counter.url, secret);
    subscribers = await startSseSubscribers({
      url: `${running.url}/graphql/stream`,
      apiKey,
      query: SENT_EVENTS,
      subscribers: SUBSCRIBERS,
      events: SENDS,
      timeoutMs: DEADLINE_MS,
    });
    const started = performance.now();
    for (let start = 0; start < SENDS; start += START_CHUNK) {
      await mutate(fetcher, 'http://worker/graphql', apiKey, START_WORKFLOW, {
        input: { workflowId, contactIds: contactIds.slice(start, start + START_CHUNK) },
      });
    }
    const arrivals = await subscribers.arrivals;
    const complete = arrivals.every((received) => received.length === SENDS);
    const latencies = arrivals.flatMap((received) =>
      received.map(([, receivedAt, occurredAt]) => receivedAt - occurredAt),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(latencies, p));
    console.log(
      formatTable(
        ['record → subscriber (delivery.sent)', 'events', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        [
          [
            `${SUBSCRIBERS} subscribers, ${figure(SENDS)} sends`,
            figure(latencies.length),
            figure(p50 ?? 0, 1),
            figure(p95 ?? 0, 1),
            figure(p99 ?? 0, 1),
            figure(latencies.at(-1) ?? 0, 1),
          ],
        ],
      ),
    );
    return {
      ok: complete,
      headlines: [
        `status event record → subscriber: p50 ${figure(p50 ?? 0, 1)} ms, p95 ${figure(p95 ?? 0, 1)} ms ` +
          `(goal ≤ ${GOAL_P95_MS}), p99 ${figure(p99 ?? 0, 1)} ms; ${SUBSCRIBERS} subscribers × ` +
          `${figure(SENDS)} sends in ${figure(seconds, 1)} s${complete ? '' : ' (EVENTS MISSING)'}`,
      ],
    };
  } finally {
    logs?.restore();
    subscribers?.kill();
    await worker?.dispose();
    await counter.close();
    await proxy.close();
    await postgres.close();
  }
}

export const eventLatencySuite: Suite = {
  name: 'event-latency',
  title: 'status events from record to an SSE subscriber, p50/p95/p99 (issue 8)',
  run: () => onBenchDatabase('event_latency', measure),
};
