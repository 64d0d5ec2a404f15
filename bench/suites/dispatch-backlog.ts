import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { queryRows } from '../../db/rows';
import { claimDeliveries } from '../../edge/dispatch/claim';
import { enqueueRuns } from '../../edge/dispatch/enqueue';
import { loadRuns } from '../../edge/dispatch/load';
import { recordAndMove } from '../../edge/dispatch/record';
import {
  publishWorkflow,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
} from '../../edge/dispatch/test-seed';
import type { Suite, SuiteOutcome } from '../suite';
import { createBenchDatabase } from '../support/database';
import { figure, formatTable } from '../support/table';

/**
 * Issue 11: the SQL of one dispatch batch of 100 (load runs, claim, record and move, stamp
 * `enqueued_at`) with a backlog in the tables: ACTIVE_RUNS active runs due now, FINISHED_RUNS
 * completed runs and DELIVERIES deliveries. Each phase runs on its own batch of 100 fresh runs,
 * BATCHES times (median printed), then once more under EXPLAIN (ANALYZE, BUFFERS) in a
 * transaction that is rolled back, and the plan's scans are printed: the rows must be reached
 * by primary key, not by hashing every active run.
 */

const ACTIVE_RUNS = Number(process.env.BENCH_ACTIVE_RUNS ?? 20_000);
const FINISHED_RUNS = Number(process.env.BENCH_FINISHED_RUNS ?? 200_000);
const DELIVERIES_PER_FINISHED_RUN = 5;
const BATCH = 100;
const BATCHES = 7;

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
  await db.execute(sql`analyze`);
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

/** One batch's phases, each timed; returns ms per phase. */
async function batchPhases(db: Database, seeded: Seeded): Promise<Record<string, number>> {
  const batch = await freshRuns(db, BATCH);
  const times: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    times[name] = performance.now() - started;
    return result;
  };
  const ids = batch.map((run) => run.id);
  await timed('load runs', () => loadRuns(db, ids));
  const claimed = await timed('claim', () =>
    claimDeliveries(
      db,
      batch.map((run) => ({
        workspaceId: seeded.workspaceId,
        runId: run.id,
        stepId: run.step,
        visit: 1,
      })),
    ),
  );
  await timed('record and move', () =>
    recordAndMove(
      db,
      claimed.map((delivery) => ({
        deliveryId: delivery.id,
        attempts: delivery.attempts,
        status: 'sent',
        channelId: seeded.channelId,
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
        fromVisit: 1,
        afterDeliveryId: delivery.id,
        status: 'active',
        stepId: seeded.stepId,
        visit: 2,
        dueInSeconds: 3600,
        exitReason: null,
        alreadyEnqueued: false,
      })),
    ),
  );
  await timed('stamp enqueued_at', () =>
    enqueueRuns(
      db,
      { send: async () => {} },
      ids.map((runId) => ({ runId, visit: 2, delaySeconds: 3600 })),
    ),
  );
  return times;
}

/**
 * A Database (inside a transaction) that runs every raw statement twice: under EXPLAIN (ANALYZE,
 * BUFFERS) inside a savepoint it then rolls back, collecting the plan, and for real, so the next
 * phase sees what this one did.
 */
function explaining(db: Database, plans: string[][]): Database {
  return new Proxy(db, {
    get(target, key, receiver) {
      if (key !== 'execute') return Reflect.get(target, key, receiver);
      return async (query: ReturnType<typeof sql>) => {
        await target.execute(sql`savepoint explained`);
        const result = (await target.execute(
          sql`explain (analyze, buffers, costs off) ${query}`,
        )) as unknown as { rows: { 'QUERY PLAN': string }[] };
        await target.execute(sql`rollback to savepoint explained`);
        plans.push(result.rows.map((row) => row['QUERY PLAN']));
        return target.execute(query);
      };
    },
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export const dispatchBacklogSuite: Suite = {
  name: 'dispatch-backlog',
  title: `Dispatch batch SQL per phase with ${figure(ACTIVE_RUNS)} active runs, ${figure(FINISHED_RUNS)} finished and ${figure(FINISHED_RUNS * DELIVERIES_PER_FINISHED_RUN)} deliveries (issue 11)`,
  async run(): Promise<SuiteOutcome> {
    const database = await createBenchDatabase('dispatch_backlog');
    const postgres = createNodePostgres(database.url, { max: 2 });
    try {
      const seedStart = performance.now();
      const seeded = await seedBacklog(postgres.db);
      console.log(`  seeded in ${figure((performance.now() - seedStart) / 1000, 1)} s`);
      const samples: Record<string, number>[] = [];
      for (let i = 0; i < BATCHES; i++) samples.push(await batchPhases(postgres.db, seeded));
      const phases = Object.keys(samples[0] ?? {});
      const medians = phases.map((phase) => median(samples.map((sample) => sample[phase]!)));
      const sqlTotal = medians.reduce((sum, ms) => sum + ms, 0);
      console.log(
        formatTable(
          ['phase (batch of 100)', 'median ms', 'min ms', 'max ms'],
          [
            ...phases.map((phase, index) => {
              const values = samples.map((sample) => sample[phase]!);
              return [
                phase,
                figure(medians[index]!, 2),
                figure(Math.min(...values), 2),
                figure(Math.max(...values), 2),
              ];
            }),
            ['total', figure(sqlTotal, 2), '', ''],
          ],
        ),
      );
      // One more batch under EXPLAIN, rolled back.
      const plans: string[][] = [];
      await postgres.db
        .transaction(async (tx) => {
          await batchPhases(explaining(tx as unknown as Database, plans), seeded).catch(() => {});
          throw new Error('rollback');
        })
        .catch(() => {});
      for (const plan of plans) {
        const scans = plan.filter((line) => /Scan|Execution Time|Buffers: shared/.test(line));
        console.log(`\n${scans.slice(0, 14).join('\n')}`);
      }
      return {
        ok: true,
        headlines: [
          `batch of 100 with ${figure(ACTIVE_RUNS)} active / ${figure(FINISHED_RUNS)} finished runs: SQL ${figure(sqlTotal, 2)} ms (${phases.map((phase, index) => `${phase} ${figure(medians[index]!, 2)}`).join(', ')}) (goal ≤ 5 ms)`,
        ],
      };
    } finally {
      await postgres.close();
      await database.drop();
    }
  },
};
