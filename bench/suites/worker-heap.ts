import { readFileSync } from 'node:fs';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { type RunningWorker, startDbProxy } from '../../test/workerd';
import type { Suite, SuiteOutcome } from '../suite';
import { workerdPids } from '../support/cpu';
import { onBenchDatabase } from '../support/database';
import { startDispatchWorker } from '../support/dispatch-worker';
import { type FetchLike, mutate } from '../support/graphql';
import { connectIsolateHeap, type HeapUsage } from '../support/isolate-heap';
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
 * Whether the Worker isolate keeps anything per message: 20,000 sends (`BENCH_HEAP_SENDS`)
 * through the API Worker in workerd (queue consumer, EventHub with one SSE subscriber), the
 * isolate's V8 heap read through the inspector after a full collection every 2,000 sends
 * (20 batches of 100). The heap must be flat after warm-up: what it grows by from the first
 * sample after warm-up to the last, per send, is the figure (goal: ~0 bytes per send).
 */

const SENDS = Number(process.env.BENCH_HEAP_SENDS ?? 20_000);
const SAMPLE_EVERY = 2_000;
/** Sends before the baseline sample: JIT, caches (documents, library, response cache) warm. */
const WARM_UP = 4_000;
/** startWorkflow takes at most 10,000 contacts per call. */
const START_CHUNK = 5_000;
const DEADLINE_MS = 900_000;
/**
 * Growth from warm-up to the end that still counts as flat: V8's heap after a collection moves
 * by a few hundred KB with what is in flight when it is read (a batch's rows, open requests).
 */
const FLAT_TOLERANCE_BYTES = 2 * 1024 * 1024;

const SENT_EVENTS = /* GraphQL */ `
  subscription { deliveryEvents(filter: { types: [DELIVERY_SENT] }) { cursor occurredAt } }
`;

interface Sample {
  sends: number;
  heap: HeapUsage;
  /** workerd's resident memory (every isolate, plus the runtime), when it can be read. */
  rssBytes: number | null;
}

const MB = 1024 * 1024;

/** Resident memory of this process's workerd children (Linux /proc), or null elsewhere. */
function workerdRss(): number | null {
  try {
    const pids = workerdPids();
    let total = 0;
    for (const pid of pids) {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (kb) total += Number(kb) * 1024;
    }
    return pids.length > 0 ? total : null;
  } catch {
    return null;
  }
}

async function measure(databaseUrl: string): Promise<SuiteOutcome> {
  const postgres = createNodePostgres(databaseUrl, { max: 2 });
  const proxy = await startDbProxy(databaseUrl);
  const secret = signingSecret();
  const counter = await startReceiptCounter(secret, isRenderedMessage);
  let worker: RunningWorker | undefined;
  let logs: WorkerLogFilter | undefined;
  let subscribers: SseSubscribers | undefined;
  let heap: Awaited<ReturnType<typeof connectIsolateHeap>> | undefined;
  try {
    // The Worker's per-send info lines would bury the table (bench/support/worker-logs.ts).
    logs = filterWorkerLogs();
    worker = await startDispatchWorker(databaseUrl, proxy, { inspector: true });
    const running = worker;
    heap = await connectIsolateHeap(await running.inspectorUrl());
    const fetcher: FetchLike = (url, init) =>
      running.dispatchFetch(url, init as never) as unknown as Promise<Response>;
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Heap' });
    const contactIds = await insertContacts(postgres.db, workspaceId, SENDS);
    const workflowId = await publishOneStepWorkflow(fetcher, apiKey, counter.url, secret);
    subscribers = await startSseSubscribers({
      url: `${running.url}/graphql/stream`,
      apiKey,
      query: SENT_EVENTS,
      subscribers: 1,
      events: SENDS,
      timeoutMs: DEADLINE_MS,
    });
    const samples: Sample[] = [];
    const sample = async (sends: number) => {
      samples.push({ sends, heap: await heap!.sample(), rssBytes: workerdRss() });
    };
    await sample(0);
    const started = performance.now();
    for (let start = 0; start < SENDS; start += START_CHUNK) {
      await mutate(fetcher, 'http://worker/graphql', apiKey, START_WORKFLOW, {
        input: { workflowId, contactIds: contactIds.slice(start, start + START_CHUNK) },
      });
    }
    // Sampled while sends go on (the isolate pauses for the collection), at each threshold.
    for (let next = SAMPLE_EVERY; next <= SENDS; next += SAMPLE_EVERY) {
      await counter.waitFor(next, Math.max(1_000, DEADLINE_MS - (performance.now() - started)));
      await sample(counter.arrivals.length);
    }
    const seconds = (performance.now() - started) / 1000;
    const received = await subscribers.arrivals;
    const eventsComplete = received[0]?.length === SENDS;

    const baseline = samples.find((s) => s.sends >= WARM_UP) ?? samples[0]!;
    const last = samples.at(-1)!;
    const growth = last.heap.usedBytes - baseline.heap.usedBytes;
    const perSend = growth / Math.max(1, last.sends - baseline.sends);
    const flat = growth <= FLAT_TOLERANCE_BYTES;
    console.log(
      formatTable(
        ['sends', 'heap used MB (after GC)', 'heap total MB', 'workerd RSS MB'],
        samples.map((s) => [
          figure(s.sends),
          figure(s.heap.usedBytes / MB, 2),
          figure(s.heap.totalBytes / MB, 2),
          s.rssBytes === null ? 'n/a' : figure(s.rssBytes / MB, 1),
        ]),
      ),
    );
    console.log(
      `  from ${figure(baseline.sends)} to ${figure(last.sends)} sends: heap ${growth >= 0 ? '+' : ''}` +
        `${figure(growth / MB, 2)} MB, ${figure(perSend, 1)} bytes per send ` +
        `(${flat ? 'flat' : 'GROWS'}: tolerance ${figure(FLAT_TOLERANCE_BYTES / MB, 0)} MB); ` +
        `${figure(SENDS)} sends in ${figure(seconds, 1)} s; the subscriber got ` +
        `${figure(received[0]?.length ?? 0)} of ${figure(SENDS)} events`,
    );
    const ok =
      flat &&
      eventsComplete &&
      counter.arrivals.length === SENDS &&
      counter.duplicates === 0 &&
      counter.rejected === 0 &&
      counter.wrongContent === 0;
    return {
      ok,
      headlines: [
        `Worker isolate heap over ${figure(SENDS)} sends: ${figure(baseline.heap.usedBytes / MB, 1)} MB ` +
          `after ${figure(baseline.sends)} sends → ${figure(last.heap.usedBytes / MB, 1)} MB at the end ` +
          `(${figure(perSend, 1)} bytes per send, ${flat ? 'flat' : 'GROWS'}); workerd RSS ` +
          `${last.rssBytes === null ? 'n/a' : `${figure(last.rssBytes / MB, 0)} MB`}`,
      ],
    };
  } finally {
    logs?.restore();
    heap?.close();
    subscribers?.kill();
    await worker?.dispose();
    await counter.close();
    await proxy.close();
    await postgres.close();
  }
}

export const workerHeapSuite: Suite = {
  name: 'worker-heap',
  title: "the Worker isolate's V8 heap across 20,000 sends in workerd: flat after warm-up",
  run: () => onBenchDatabase('worker_heap', measure),
};
