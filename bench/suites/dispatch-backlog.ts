import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { relations } from '../../db/relations';
import { queryRows, uuidArrayParam } from '../../db/rows';
import { claimDeliveries } from '../../edge/dispatch/claim';
import { addStepNeeds, emptyNeeds, loadLibrary } from '../../edge/dispatch/library';
import { loadAndClaimRuns } from '../../edge/dispatch/load';
import { recordAndMove } from '../../edge/dispatch/record';
import {
  publishWorkflow,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
} from '../../edge/dispatch/test-seed';
import { findStep } from '../../workflow/routing';
import { isSendMessageStep } from '../../workflow/steps';
import type { Suite, SuiteOutcome } from '../suite';
import { createBenchDatabase } from '../support/database';
import { backendCpuReader, type ExplainedTime, explainedDatabase } from '../support/server-time';
import { figure, formatTable } from '../support/table';

/**
 * The SQL of one dispatch batch of 100 (load runs and claim, library, record-move-and-stamp) with a
 * backlog in the tables: ACTIVE_RUNS active runs due now, FINISHED_RUNS completed runs and their
 * deliveries. Batches alternate between a run under EXPLAIN ANALYZE (each statement explained in
 * a rolled-back transaction, then run for real: the server's planning and execution time, and
 * the plans) and a plain run (the client's wall time, and the Postgres backend's own CPU time
 * read from /proc when the server is on this machine). On a shared machine the wall time mostly
 * measures the wait for a core; the server's figures are the statements' cost.
 */

const ACTIVE_RUNS = Number(process.env.BENCH_ACTIVE_RUNS ?? 20_000);
const FINISHED_RUNS = Number(process.env.BENCH_FINISHED_RUNS ?? 200_000);
const DELIVERIES_PER_FINISHED_RUN = 5;
const BATCH = 100;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 7);
/**
 * Batches run first and not counted: the connection's catalog caches warm up, and each of the
 * batch's prepared statements (db/rows.ts, queryPreparedRows) runs the five custom-planned
 * times after which Postgres settles on its generic plan (the first batch's load is a
 * statement of its own, so the load that claims starts one batch later).
 */
const WARMUP_BATCHES = 7;

interface Seeded {
  workspaceId: string;
  stepId: string;
  channelId: string;
}

/** The backlog, inserted with generate_series (one statement per table). */
async function seedBacklog(db: Database): Promise<Seeded> {
  const { workspaceId } = await seedWorkspace(db);
  const cipher = new CredentialCipher(generateCredentialsKey());
  const channelId = await seedCustomChannel({ db, cipher }, workspaceId, 'http://127.0.0.1:1/');
  const { workflowId, versionId, stepIds } = await publishWorkflow(db, workspaceId, [
    {
      key: 'send',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  const stepId = stepIds.send!;
  const total = ACTIVE_RUNS + FINISHED_RUNS;
  await db.execute(sql`insert into contacts (workspace_id, first_name)
    select ${workspaceId}, 'Contact ' || n from generate_series(1, ${total}) n`);
  await db.execute(sql`insert into runs (workspace_id, workflow_id, version_id, contact_id,
      status, current_step_id, step_visit, due_at, ended_at)
    select ${workspaceId}, ${workflowId}, ${versionId}, c.id,
      case when row_number() over () <= ${FINISHED_RUNS} then 'completed' else 'active' end,
      case when row_number() over () <= ${FINISHED_RUNS} then null else ${stepId}::uuid end,
      1, now() - interval '1 minute',
      case when row_number() over () <= ${FINISHED_RUNS} then now() end
    from contacts c where c.workspace_id = ${workspaceId}`);
  await db.execute(sql`insert into deliveries (workspace_id, run_id, step_id, visit, channel_id,
      status, attempts, sent_at)
    select ${workspaceId}, r.id, ${stepId}, v, ${channelId}, 'sent', 1, now()
    from runs r, generate_series(1, ${DELIVERIES_PER_FINISHED_RUN}) v
    where r.workspace_id = ${workspaceId} and r.status = 'completed'`);
  // A backlog in its steady state: vacuumed (hint bits set, visibility map built) and
  // checkpointed, so that the measured batches do not share the machine's two cores and its
  // disk with the autovacuum and the checkpoint that 1.2 million fresh rows would otherwise
  // set off in the middle of them (per-batch times then varied 2.5× from one batch to the next).
  await db.execute(sql`vacuum (analyze)`);
  try {
    await db.execute(sql`checkpoint`);
  } catch {
    // Not a superuser on BENCH_POSTGRES_URL's server: the checkpoint comes when it comes.
  }
  return { workspaceId, stepId, channelId };
}

/** The next `count` active runs no batch has touched yet. */
async function freshRuns(db: Database, count: number): Promise<{ id: string; step: string }[]> {
  return queryRows(
    db,
    sql`select id, current_step_id as step from runs
        where status = 'active' and enqueued_at is null order by id limit ${count}`,
  );
}

/** One batch's results per phase: wall ms, and what the server measured, if anything. */
type PhaseTimes<T> = Record<Phase, T>;

const PHASES = [
  'load runs and claim',
  'claim the rest',
  'library',
  'record, move and stamp',
] as const;
type Phase = (typeof PHASES)[number];

/**
 * One batch of 100 as the consumer runs it, minus the sends: load the runs and claim their
 * deliveries (one statement once the isolate has the version's graph; the first batch claims
 * in a second), load the library the sends need, then record every outcome, move every run and
 * stamp its `enqueued_at` (one statement). `measure` wraps each phase and returns its figure.
 */
async function batchPhases<T>(
  db: Database,
  seeded: Seeded,
  batch: { id: string; step: string }[],
  measure: (work: () => Promise<unknown>) => Promise<T>,
): Promise<PhaseTimes<T>> {
  let runs: Awaited<ReturnType<typeof loadAndClaimRuns>>['runs'] = new Map();
  let claimed: Awaited<ReturnType<typeof claimDeliveries>> = [];
  // As the consumer: the load claims the sends of versions the isolate has the graph of (all
  // but the first batch's), and a claim statement of its own takes any left (none then).
  const load = await measure(async () => {
    const loaded = await loadAndClaimRuns(
      db,
      batch.map((run) => ({ runId: run.id, visit: 1 })),
    );
    runs = loaded.runs;
    claimed = [...loaded.claims.values()];
  });
  const claim = await measure(async () => {
    const held = new Set(claimed.map((delivery) => delivery.runId));
    const rest = await claimDeliveries(
      db,
      batch
        .filter((run) => !held.has(run.id))
        .map((run) => ({
          workspaceId: seeded.workspaceId,
          runId: run.id,
          stepId: run.step,
          visit: 1,
        })),
    );
    claimed = [...claimed, ...rest];
  });
  const needs = emptyNeeds();
  for (const run of runs.values()) {
    const step = findStep(run.graph, run.currentStepId!);
    if (!step || !isSendMessageStep(step)) throw new Error('the backlog runs are at a send step');
    addStepNeeds(needs, step.config, {
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      contactId: run.contact.id,
      lastInteractedChannelId: run.contact.lastInteractedChannelId,
    });
  }
  const library = await measure(() => loadLibrary(db, needs));
  const record = await measure(() =>
    recordAndMove(
      db,
      claimed.map((delivery) => ({
        deliveryId: delivery.id,
        attempts: delivery.attempts,
        claimedAtMs: delivery.claimedAtMs,
        status: 'sent',
        channelId: seeded.channelId,
        recipient: `contact-${delivery.runId}@example.com`,
        reasonCode: null,
        reasonDetail: null,
        providerMessageId: `m-${randomUUID()}`,
        contentSummary: 'Hello',
        messageIdHeader: null,
        segments: null,
        thread: null,
      })),
      claimed.map((delivery) => ({
        runId: delivery.runId,
        workspaceId: seeded.workspaceId,
        workflowId: runs.get(delivery.runId)!.workflowId,
        contactId: runs.get(delivery.runId)!.contact.id,
        fromVisit: 1,
        fromStepId: seeded.stepId,
        afterDeliveryId: delivery.id,
        status: 'active',
        stepId: seeded.stepId,
        visit: 2,
        dueInSeconds: 3600,
        exitReason: null,
        alreadyEnqueued: false,
      })),
      undefined,
      { stampEnqueued: true },
    ),
  );
  if (claimed.length !== batch.length)
    throw new Error(`claimed ${claimed.length} of ${batch.length}`);
  return {
    'load runs and claim': load,
    'claim the rest': claim,
    library,
    'record, move and stamp': record,
  };
}

/**
 * The floor under a batch's SQL: the row reads and writes any batch of 100 sends must make,
 * alone, in four minimal statements (no JSON parameters, no conditions, no events, no
 * returned rows) on another 100 fresh runs: read the runs and their contacts by primary key,
 * claim them (a HOT update of lease and attempt), insert their deliveries (three index
 * entries each) and move them (a HOT update). What the batch spends above this is its checks,
 * its planning and the partner events. `measure` wraps each statement.
 */
async function floorStatements<T>(
  db: Database,
  seeded: Seeded,
  batch: { id: string }[],
  measure: (work: () => Promise<unknown>) => Promise<T>,
): Promise<T[]> {
  const ids = uuidArrayParam(batch.map((run) => run.id));
  return [
    await measure(() =>
      db.execute(sql`select r.id, r.workspace_id, r.workflow_id, r.version_id, r.status,
          r.current_step_id, r.step_visit, r.due_at, r.trigger_variables, c.id, c.first_name,
          c.last_name, c.email, c.phone, c.country, c.language, c.custom_fields,
          c.last_interacted_channel_id
        from runs r join contacts c on c.id = r.contact_id where r.id = any(${ids})`),
    ),
    await measure(() =>
      db.execute(sql`update runs set lease_until = now() + interval '60 seconds',
          delivery_attempts = delivery_attempts + 1, delivery_id = id
        where id = any(${ids})`),
    ),
    await measure(() =>
      db.execute(sql`insert into deliveries (id, workspace_id, run_id, step_id, visit, status,
          attempts, channel_id, provider_message_id, content_summary, sent_at)
        select u.id, ${seeded.workspaceId}, u.id, ${seeded.stepId}, 1, 'sent', 1,
          ${seeded.channelId}, 'm-' || u.id, 'Hello', now()
        from unnest(${ids}) as u(id)`),
    ),
    await measure(() =>
      db.execute(sql`update runs set step_visit = 2, due_at = now() + interval '1 hour',
          enqueued_at = now() + interval '1 hour', lease_until = null, delivery_id = null,
          delivery_attempts = 0, updated_at = now()
        where id = any(${ids})`),
    ),
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Median per phase and the median of the per-batch totals, formatted. */
function medians(samples: PhaseTimes<number>[]): { cells: string[]; total: number } {
  const totals = samples.map((sample) => sum(PHASES.map((phase) => sample[phase])));
  const total = median(totals);
  return {
    cells: [
      ...PHASES.map((phase) => figure(median(samples.map((s) => s[phase])), 2)),
      figure(total, 2),
    ],
    total,
  };
}

/**
 * Row updates of runs and deliveries since the database was created, and how many were HOT
 * (heap-only: the new version on the same page, no new index entry). A run's move should be.
 * Each connection that ran the batches (`writers`) flushes its table counters first: a backend
 * keeps them until a second has passed since its last flush and then only at its next
 * statement's end, or ten seconds idle, so waiting alone sometimes read none at all.
 */
async function hotUpdates(
  db: Database,
  writers: readonly Database[],
): Promise<Record<'runs' | 'deliveries', { updates: number; hot: number }>> {
  // Postgres 15+: the statement's own end then flushes them, before it answers.
  for (const writer of writers) await writer.execute(sql`select pg_stat_force_next_flush()`);
  const rows = await queryRows<{ relname: 'runs' | 'deliveries'; updates: number; hot: number }>(
    db,
    sql`select relname, n_tup_upd::int as updates, n_tup_hot_upd::int as hot
        from pg_stat_user_tables where relname in ('runs', 'deliveries')`,
  );
  const counts = { runs: { updates: 0, hot: 0 }, deliveries: { updates: 0, hot: 0 } };
  for (const row of rows) counts[row.relname] = { updates: row.updates, hot: row.hot };
  return counts;
}

/** A connection of its own, so the backend whose CPU is read is the one running the batch. */
async function singleConnection(
  url: string,
): Promise<{ db: Database; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const db = drizzle({ client, relations }) as unknown as Database;
  return { db, close: () => client.end() };
}

export const dispatchBacklogSuite: Suite = {
  name: 'dispatch-backlog',
  title: `Dispatch batch SQL per phase with ${figure(ACTIVE_RUNS)} active runs, ${figure(FINISHED_RUNS)} finished and ${figure(FINISHED_RUNS * DELIVERIES_PER_FINISHED_RUN)} deliveries`,
  async run(): Promise<SuiteOutcome> {
    const database = await createBenchDatabase('dispatch_backlog');
    const plain = await singleConnection(database.url);
    const explained = await explainedDatabase(database.url);
    try {
      const seedStart = performance.now();
      const seeded = await seedBacklog(plain.db);
      console.log(`  seeded in ${figure((performance.now() - seedStart) / 1000, 1)} s`);
      const backendCpu = await backendCpuReader(plain.db);
      const wall: PhaseTimes<number>[] = [];
      const cpu: PhaseTimes<number>[] = [];
      const waits: number[] = [];
      const server: PhaseTimes<ExplainedTime>[] = [];
      const floors: { server: number; cpu: number; statements: number[] }[] = [];
      // A phase under EXPLAIN ANALYZE: the server's own time and the plans.
      const explain = async (work: () => Promise<unknown>) => {
        explained.take();
        await work();
        return explained.take();
      };
      // A plain phase: the client's wall time and the backend's CPU time (and its wait for a
      // CPU, added to `waitMs`) when Postgres runs on this machine.
      let waitMs = 0;
      const plainTime = async (work: () => Promise<unknown>) => {
        const before = backendCpu?.();
        const started = performance.now();
        await work();
        const ms = performance.now() - started;
        const after = backendCpu?.();
        waitMs += before && after ? after.waitMs - before.waitMs : Number.NaN;
        return { ms, cpuMs: before && after ? after.cpuMs - before.cpuMs : Number.NaN };
      };
      for (let i = 0; i < WARMUP_BATCHES + BATCHES; i++) {
        // Alternating: a batch under EXPLAIN ANALYZE (server time, plans), then a plain one
        // (client wall time, and the backend's CPU time when Postgres runs on this machine),
        // then the floor's statements likewise, each on fresh runs.
        const explainedBatch = await batchPhases(
          explained.db,
          seeded,
          await freshRuns(plain.db, BATCH),
          explain,
        );
        waitMs = 0;
        const plainBatch = await batchPhases(
          plain.db,
          seeded,
          await freshRuns(plain.db, BATCH),
          plainTime,
        );
        const batchWaitMs = waitMs;
        const floorServer = (
          await floorStatements(explained.db, seeded, await freshRuns(plain.db, BATCH), explain)
        ).map((time) => time.planningMs + time.executionMs);
        const floorCpu = (
          await floorStatements(plain.db, seeded, await freshRuns(plain.db, BATCH), plainTime)
        ).map((time) => time.cpuMs);
        // The first batches warm the connection's catalog and plan caches, as a pooled
        // production connection (Neon's pooler keeps server sessions and their prepared
        // statements) would have them.
        if (i < WARMUP_BATCHES) continue;
        floors.push({ server: sum(floorServer), cpu: sum(floorCpu), statements: floorServer });
        server.push(explainedBatch);
        wall.push(mapPhases(plainBatch, (phase) => phase.ms));
        cpu.push(mapPhases(plainBatch, (phase) => phase.cpuMs));
        waits.push(batchWaitMs);
      }
      const serverTime = server.map((batch) =>
        mapPhases(batch, (phase) => phase.planningMs + phase.executionMs),
      );
      const rows = [
        ['client wall time (round trips included)', ...medians(wall).cells],
        ['server: planning + execution (EXPLAIN ANALYZE)', ...medians(serverTime).cells],
        [
          'server: execution only',
          ...medians(server.map((b) => mapPhases(b, (p) => p.executionMs))).cells,
        ],
      ];
      if (backendCpu) rows.push(['server: backend CPU time (schedstat)', ...medians(cpu).cells]);
      const work = (label: string, pick: (time: ExplainedTime) => number, decimals = 0) => [
        label,
        ...PHASES.map((phase) =>
          figure(median(server.map((batch) => pick(batch[phase]))), decimals),
        ),
        figure(
          median(server.map((batch) => sum(PHASES.map((phase) => pick(batch[phase]))))),
          decimals,
        ),
      ];
      const workRows = [
        work('shared buffers touched', (time) => time.buffers),
        work('WAL kB written', (time) => time.walBytes / 1024, 1),
        work('WAL full-page images', (time) => time.walFullPages),
      ];
      const statementCount = server[0]
        ? sum(PHASES.map((phase) => server[0]![phase].statements))
        : 0;
      console.log(
        formatTable(
          [`median ms, batch of ${BATCH} (${BATCHES} batches)`, ...PHASES, 'batch'],
          [...rows, ...workRows],
        ),
      );
      console.log(
        `  ${statementCount} statements per batch; the backend waited a median ${figure(median(waits), 1)} ms per batch for a CPU (runnable, not running)`,
      );
      const floorServerMs = median(floors.map((floor) => floor.server));
      const floorParts = [0, 1, 2, 3].map((index) =>
        figure(median(floors.map((floor) => floor.statements[index] ?? Number.NaN)), 2),
      );
      console.log(
        `  floor, the same row work alone (bench/suites/dispatch-backlog.ts, floorStatements): server ${figure(floorServerMs, 2)} ms (read runs + contacts ${floorParts[0]}, claim ${floorParts[1]}, insert deliveries ${floorParts[2]}, move ${floorParts[3]}), backend CPU ${figure(median(floors.map((floor) => floor.cpu)), 2)} ms`,
      );
      // A prepared statement's server time counts no planning (a cached plan): true only of
      // runs on its generic plan, so say how many there were.
      const [plans] = await queryRows<{ statements: number; generic: number; custom: number }>(
        plain.db,
        sql`select count(*)::int as statements, coalesce(sum(generic_plans), 0)::int as generic,
                   coalesce(sum(custom_plans), 0)::int as custom
            from pg_prepared_statements`,
      );
      console.log(
        `  prepared statements on the plain connection: ${plans?.statements ?? 0}, run ${plans?.generic ?? 0} times on their generic plan and ${plans?.custom ?? 0} on custom plans (the first five of each)`,
      );
      const hot = await hotUpdates(plain.db, [plain.db, explained.db]);
      console.log(
        `  row updates over the run (explained ones included): runs ${figure(hot.runs.updates)}, ${figure(hot.runs.hot)} of them HOT (no index entry); deliveries ${figure(hot.deliveries.updates)}, ${figure(hot.deliveries.hot)} HOT`,
      );
      const last = server.at(-1);
      if (last) {
        for (const phase of PHASES) {
          console.log(`\n  ${phase}:`);
          for (const plan of last[phase].plans)
            console.log(plan.map((line) => `    ${line}`).join('\n'));
        }
      }
      const serverMs = medians(serverTime).total;
      const wallMs = medians(wall).total;
      const cpuMs = backendCpu ? medians(cpu).total : Number.NaN;
      return {
        ok: true,
        headlines: [
          `batch of ${BATCH} with ${figure(ACTIVE_RUNS)} active / ${figure(FINISHED_RUNS)} finished runs, ${statementCount} statements: server ${figure(serverMs, 2)} ms (EXPLAIN ANALYZE planning + execution)${backendCpu ? `, backend CPU ${figure(cpuMs, 2)} ms` : ''}, client wall ${figure(wallMs, 2)} ms (goal ≤ 5 ms); the same rows' reads and writes alone: server ${figure(floorServerMs, 2)} ms, the batch ${figure(serverMs / floorServerMs, 2)}× that (the floor moves with the machine; the ratio is the statements' own overhead)`,
        ],
      };
    } finally {
      await explained.close();
      await plain.close();
      await database.drop();
    }
  },
};

function mapPhases<T, U>(times: PhaseTimes<T>, pick: (value: T) => U): PhaseTimes<U> {
  return Object.fromEntries(PHASES.map((phase) => [phase, pick(times[phase])])) as PhaseTimes<U>;
}
