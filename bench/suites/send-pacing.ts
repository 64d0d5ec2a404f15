import { createWorkspaceWithKey } from '../../api/bootstrap';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { startDbProxy } from '../../test/workerd';
import type { Suite, SuiteOutcome } from '../suite';
import { createBenchDatabase } from '../support/database';
import { startDispatchWorker } from '../support/dispatch-worker';
import { type FetchLike, mutate } from '../support/graphql';
import { startReceiptCounter } from '../support/receipt-counter';
import { figure, formatTable } from '../support/table';
import { filterWorkerLogs } from '../support/worker-logs';
import { START_WORKFLOW } from '../support/workflow-documents';
import {
  insertContacts,
  isRenderedMessage,
  publishOneStepWorkflow,
  signingSecret,
} from './dispatch-throughput';

/**
 * Send pacing (docs/architecture.md, "Send pacing"), end to end in workerd: CONTACTS contacts
 * through a one-step workflow on a custom channel (the real Worker, its real ChannelPacer, one
 * dispatch queue, batches of 100) three times: the channel unpaced, paced at a rate it never
 * reaches (every batch asks the pacer, none waits: what asking costs), and paced at
 * PACED_RATE (what the campaign's speed becomes, and the busiest second a provider sees).
 */

const CONTACTS = Number(process.env.BENCH_PACING_CONTACTS ?? 2_000);
/** Messages/s for the paced run: well under the unpaced pipeline's speed on this machine. */
const PACED_RATE = Number(process.env.BENCH_PACING_RATE ?? 200);
const UNREACHED_RATE = 10_000;
const DEADLINE_MS = 120_000;

interface PacingRun {
  label: string;
  rate: number | null;
  seconds: number;
  sendsPerSecond: number;
  busiestSecond: number;
  duplicates: number;
  ok: boolean;
}

/** Most arrivals within any one second (arrival times in ms, ascending). */
function busiestSecond(arrivals: readonly number[]): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < arrivals.length; end++) {
    while (arrivals[end]! - arrivals[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

async function measure(
  databaseUrl: string,
  label: string,
  rate: number | null,
): Promise<PacingRun> {
  const postgres = createNodePostgres(databaseUrl, { max: 2 });
  const proxy = await startDbProxy(databaseUrl);
  const secret = signingSecret();
  const counter = await startReceiptCounter(secret, isRenderedMessage);
  // The Worker's per-request and per-batch info lines would bury the table
  // (bench/support/worker-logs.ts).
  const logs = filterWorkerLogs();
  const worker = await startDispatchWorker(databaseUrl, proxy);
  try {
    const fetcher: FetchLike = (url, init) =>
      worker.dispatchFetch(url, init as never) as unknown as Promise<Response>;
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name: label });
    const contactIds = await insertContacts(postgres.db, workspaceId, CONTACTS);
    const workflowId = await publishOneStepWorkflow(fetcher, apiKey, counter.url, secret, rate);
    const started = performance.now();
    for (let start = 0; start < contactIds.length; start += 1_000) {
      await mutate(fetcher, 'http://worker/graphql', apiKey, START_WORKFLOW, {
        input: { workflowId, contactIds: contactIds.slice(start, start + 1_000) },
      });
    }
    await counter.waitFor(CONTACTS, DEADLINE_MS);
    const seconds = (performance.now() - started) / 1000;
    return {
      label,
      rate,
      seconds,
      sendsPerSecond: CONTACTS / seconds,
      busiestSecond: busiestSecond(counter.arrivals),
      duplicates: counter.duplicates,
      ok: counter.duplicates === 0 && counter.rejected === 0 && counter.wrongContent === 0,
    };
  } finally {
    await worker.dispose();
    logs.restore();
    await counter.close();
    await proxy.close();
    await postgres.close();
  }
}

export const sendPacingSuite: Suite = {
  name: 'send-pacing',
  title: `${figure(CONTACTS)} sends on one channel: unpaced, paced at ${figure(UNREACHED_RATE)}/s (never waits), paced at ${figure(PACED_RATE)}/s`,
  async run(): Promise<SuiteOutcome> {
    const database = await createBenchDatabase('pacing');
    try {
      const runs: PacingRun[] = [];
      for (const [label, rate] of [
        ['unpaced', null],
        ['paced, rate never reached', UNREACHED_RATE],
        ['paced', PACED_RATE],
      ] as const) {
        console.log(`  ${label}…`);
        runs.push(await measure(database.url, label, rate));
      }
      console.log(
        formatTable(
          ['run', 'rate set', 'seconds', 'sends/s', 'busiest second', 'duplicates'],
          runs.map((run) => [
            run.label,
            run.rate === null ? '—' : figure(run.rate),
            figure(run.seconds, 2),
            figure(run.sendsPerSecond),
            figure(run.busiestSecond),
            figure(run.duplicates),
          ]),
        ),
      );
      const [unpaced, unreached, paced] = runs as [PacingRun, PacingRun, PacingRun];
      return {
        ok: runs.every((run) => run.ok),
        headlines: [
          `asking the pacer: ${figure(unreached.sendsPerSecond)} sends/s vs ${figure(unpaced.sendsPerSecond)} unpaced (${figure(unreached.sendsPerSecond / unpaced.sendsPerSecond, 2)}×); paced at ${figure(PACED_RATE)}/s: ${figure(paced.sendsPerSecond)} sends/s over the run, busiest second ${figure(paced.busiestSecond)} (unpaced: ${figure(unpaced.busiestSecond)})`,
        ],
      };
    } finally {
      await database.drop();
    }
  },
};
