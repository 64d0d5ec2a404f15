import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import type { Database } from '../../db/client';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { queryRows } from '../../db/rows';
import { DISPATCH_QUEUE_NAME } from '../../edge/dispatch/queues';
import { publishWorkflow, sendConfig } from '../../edge/dispatch/test-seed';
import { SEGMENT_CHUNK_SIZE } from '../../edge/segments/limits';
import { SEGMENT_DEAD_LETTER_QUEUE_NAME, SEGMENT_QUEUE_NAME } from '../../edge/segments/message';
import { type RunningWorker, startDbProxy, startWorker } from '../../test/workerd';
import type { Suite, SuiteOutcome } from '../suite';
import { onBenchDatabase } from '../support/database';
import { benchWorkerBindings } from '../support/dispatch-worker';
import { type FetchLike, mutate } from '../support/graphql';
import { type HeapSampler, sampleIsolateHeap } from '../support/isolate-heap';
import { figure, formatTable } from '../support/table';
import { filterWorkerLogs, type WorkerLogFilter } from '../support/worker-logs';

/**
 * A workflow started for a segment of 100,000 contacts (110,000 in the workspace, the filter
 * keeps 100,000): startWorkflowForSegment through the Worker's GraphQL, the segments queue
 * consumed by the Worker bundle in workerd (one chunk per invocation, as wrangler.toml), until
 * every run is enqueued on the dispatch queue. The dispatch queue has no consumer here, so the
 * figures are the segment start's alone.
 */

const MATCHING = 100_000;
const OTHERS = 10_000;
const DEADLINE_MS = 600_000;
const POLL_MS = 100;
/** As wrangler.toml configures the segments consumer. */
const SEGMENT_CONSUMER = { maxBatchSize: 1, maxBatchTimeout: 1, maxRetries: 10 } as const;
const MIB = 1024 * 1024;

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowForSegmentInput!) {
    result: startWorkflowForSegment(input: $input) {
      __typename
      ... on MutationStartWorkflowForSegmentSuccess { data { id total status } }
      ... on ValidationError { issues { path message } }
    }
  }
`;

/** 100,000 Pro contacts in France or Germany, and 10,000 others, in one statement each. */
async function seedContacts(db: Database, workspaceId: string): Promise<void> {
  await db.execute(
    sql`insert into contacts (workspace_id, first_name, email, country, custom_fields)
        select ${workspaceId}::uuid, 'Contact' || i, 'contact' || i || '@example.com',
               case when i % 2 = 0 then 'FR' else 'DE' end, '{"plan":"Pro"}'::jsonb
        from generate_series(1, ${MATCHING}) i`,
  );
  await db.execute(
    sql`insert into contacts (workspace_id, first_name, country, custom_fields)
        select ${workspaceId}::uuid, 'Other' || i, 'FR', '{"plan":"Free"}'::jsonb
        from generate_series(1, ${OTHERS}) i`,
  );
  await db.execute(sql`analyze contacts`);
}

/** Commits so far in this database: every statement of the Neon driver is one (autocommit). */
async function commits(db: Database): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select (xact_commit + xact_rollback)::int as n from pg_stat_database
        where datname = current_database()`,
  );
  return row?.n ?? 0;
}

interface Progress {
  enqueued: number;
  status: string;
}

async function progress(db: Database, segmentStartId: string): Promise<Progress> {
  const [row] = await queryRows<Progress>(
    db,
    sql`select (select count(*)::int from runs where segment_start_id = s.id
                  and enqueued_at is not null) as enqueued, s.status
        from segment_starts s where s.id = ${segmentStartId}::uuid`,
  );
  return row ?? { enqueued: 0, status: 'missing' };
}

async function measure(databaseUrl: string): Promise<SuiteOutcome> {
  const postgres = createNodePostgres(databaseUrl, { max: 2 });
  const proxy = await startDbProxy(databaseUrl);
  let worker: RunningWorker | undefined;
  let heap: HeapSampler | undefined;
  let logs: WorkerLogFilter | undefined;
  try {
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Bench' });
    await seedContacts(postgres.db, workspaceId);
    const { workflowId } = await publishWorkflow(postgres.db, workspaceId, [
      { key: 'notify', type: 'send_message', config: sendConfig() },
    ]);
    console.log(
      `  seeded ${figure(MATCHING + OTHERS)} contacts (${figure(MATCHING)} match) and a published workflow`,
    );
    worker = await startWorker({
      entry: 'edge/worker.ts',
      bindings: benchWorkerBindings(databaseUrl, proxy),
      // No dispatch consumer: the messages wait in Miniflare's queue, uncounted here.
      queueProducers: { DISPATCH_QUEUE: DISPATCH_QUEUE_NAME, SEGMENT_QUEUE: SEGMENT_QUEUE_NAME },
      queueConsumers: {
        [SEGMENT_QUEUE_NAME]: {
          ...SEGMENT_CONSUMER,
          deadLetterQueue: SEGMENT_DEAD_LETTER_QUEUE_NAME,
        },
        [SEGMENT_DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      },
      inspector: true,
    });
    logs = filterWorkerLogs();
    const running = worker;
    const fetcher: FetchLike = (url, init) =>
      running.dispatchFetch(url, init as never) as unknown as Promise<Response>;
    // One request first, so that the isolate's baseline includes the loaded bundle.
    await running.dispatchFetch('http://worker/health');
    heap = await sampleIsolateHeap(await running.inspectorUrl());
    const baseline = await heap.used();

    await sleep(1_500);
    const commitsBefore = await commits(postgres.db);
    let polls = 1;
    const started = performance.now();
    const payload = await mutate(fetcher, 'http://worker/graphql', apiKey, START, {
      input: {
        workflowId,
        filter: { countries: ['FR', 'DE'], customFields: [{ key: 'plan', equals: 'Pro' }] },
      },
    });
    const answered = performance.now();
    if (payload.total !== MATCHING) throw new Error(`total ${payload.total}, not ${MATCHING}`);
    let completedAt: number | undefined;
    let enqueuedAt: number | undefined;
    let now: Progress;
    for (;;) {
      now = await progress(postgres.db, payload.id);
      polls++;
      if (now.status === 'completed' && completedAt === undefined) completedAt = performance.now();
      if (now.enqueued >= MATCHING && enqueuedAt === undefined) enqueuedAt = performance.now();
      // Done when every run is enqueued and the last chunk (which finds nobody left) has ended it.
      if (now.enqueued >= MATCHING && now.status === 'completed') break;
      if (now.status === 'failed' || now.status === 'cancelled') break;
      if (performance.now() - started > DEADLINE_MS) {
        throw new Error(`only ${now.enqueued} runs enqueued after the deadline`);
      }
      await sleep(POLL_MS);
    }
    const ended = performance.now();
    const allEnqueued = enqueuedAt ?? ended;
    const peak = heap.peak();
    const atEnd = await heap.used();
    // Postgres publishes its counters about once a second.
    await sleep(1_500);
    const statements = (await commits(postgres.db)) - commitsBefore - polls;
    const [runs] = await queryRows<{ n: number; distinct_contacts: number }>(
      postgres.db,
      sql`select count(*)::int as n, count(distinct contact_id)::int as distinct_contacts
          from runs where segment_start_id = ${payload.id}::uuid`,
    );
    const chunks = Math.floor(MATCHING / SEGMENT_CHUNK_SIZE) + 1;
    const seconds = (allEnqueued - started) / 1000;
    const rows = [
      [
        'mutation answered (validate, count matches, record, send first chunk)',
        `${figure(answered - started, 0)} ms`,
      ],
      [
        'start completed (the last chunk found nobody left)',
        `${figure(((completedAt ?? ended) - started) / 1000, 2)} s`,
      ],
      [
        'all runs enqueued on the dispatch queue',
        `${figure(seconds, 2)} s (${figure(MATCHING / seconds)} runs/s)`,
      ],
      [
        'chunks (invocations of the segments consumer)',
        `${chunks} of ${figure(SEGMENT_CHUNK_SIZE)}; ${figure((seconds * 1000) / chunks, 0)} ms each`,
      ],
      [
        'statements, mutation included (commits in Postgres minus this process polling)',
        `${figure(statements)} = ${figure((statements * 1000) / MATCHING, 2)} per 1,000 runs`,
      ],
      [
        'Worker isolate heap (V8 used, garbage included): before → peak',
        `${figure(baseline / MIB, 1)} → ${figure(peak / MIB, 1)} MiB (${heap.samples()} samples)`,
      ],
      ['Worker isolate heap at the end', `${figure(atEnd / MIB, 1)} MiB`],
    ];
    console.log(formatTable(['segment start of 100,000 contacts', 'measured'], rows));
    const ok =
      runs?.n === MATCHING && runs.distinct_contacts === MATCHING && now.status === 'completed';
    console.log(
      `  runs: ${figure(runs?.n ?? 0)} (${figure(runs?.distinct_contacts ?? 0)} contacts); status ${now.status}`,
    );
    return {
      ok,
      headlines: [
        `100,000 contacts: answered in ${figure(answered - started)} ms, all runs enqueued in ${figure(seconds, 1)} s; ${figure((statements * 1000) / MATCHING, 1)} statements per 1,000 runs; isolate heap peak ${figure(peak / MIB, 1)} MiB (baseline ${figure(baseline / MIB, 1)})`,
      ],
    };
  } finally {
    heap?.close();
    logs?.restore();
    await worker?.dispose();
    await proxy.close();
    await postgres.close();
  }
}

export const segmentStartSuite: Suite = {
  name: 'segment-start',
  title: `startWorkflowForSegment for ${figure(MATCHING)} contacts: time until every run is enqueued, isolate heap, statements per 1,000 runs`,
  run: () => onBenchDatabase('segment', measure),
};
