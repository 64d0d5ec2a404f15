import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { relations } from '../../db/relations';
import { startTestDatabase, type TestDatabase } from '../../test/database';
import { claimDeliveries, type DeliveryKey } from './claim';
import { recordAndMove } from './record';
import {
  publishWorkflow,
  seedContact,
  seedCustomChannel,
  seedRunAt,
  seedWorkspace,
  sendConfig,
} from './test-seed';

/**
 * The claim's plan must not depend on how fresh the table statistics are: with `deliveries`
 * analysed while empty and thousands of rows added since (a burst on a new deployment, before
 * autovacuum analyses it), no plan node may scan `deliveries` once per key. A database of its
 * own, so that no other test's rows or ANALYZE change the statistics this one sets up.
 */

let database: TestDatabase;
let client: pg.Client;
let db: Database;
/** The plan of each statement sent through `explaining`, as EXPLAIN (ANALYZE, FORMAT JSON) gives it. */
const plans: PlanNode[] = [];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

beforeAll(async () => {
  database = await startTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  db = drizzle({ client, relations }) as unknown as Database;
});

afterAll(async () => {
  await client?.end();
  await database?.stop();
});

/** A Drizzle database whose statements are explained (and rolled back) before they run. */
function explaining(): Database {
  const explained = {
    async query(config: pg.QueryConfig, values?: unknown[]) {
      await client.query('begin');
      try {
        const result = await client.query(
          `explain (analyze, format json) ${config.text}`,
          values ?? config.values,
        );
        plans.push(result.rows[0]['QUERY PLAN'][0].Plan);
      } finally {
        await client.query('rollback');
      }
      return client.query(config, values);
    },
  };
  return drizzle({ client: explained as unknown as pg.Client, relations }) as unknown as Database;
}

/**
 * Scans that run more than once without an index condition: each reads the whole table (or a
 * bitmap of it) again. A lookup by key repeated per row (an index scan in a nested loop) is fine.
 */
function repeatedTableScans(scans: PlanNode[]): string[] {
  return scans
    .filter(
      (node) => (node['Actual Loops'] ?? 0) > 1 && !/^Index (Only )?Scan$/.test(node['Node Type']),
    )
    .map((node) => `${node['Node Type']} on ${node['Relation Name']} × ${node['Actual Loops']}`);
}

/** The batch's JSON parameter parsed again for each row of a join (jsonb_to_recordset per loop). */
function repeatedParsing(plan: PlanNode): string[] {
  return nodes(plan)
    .filter((node) => node['Node Type'] === 'Function Scan' && (node['Actual Loops'] ?? 0) > 1)
    .map((node) => `Function Scan × ${node['Actual Loops']}`);
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

it('claim and record never scan deliveries or runs once per key, whatever the statistics say', async () => {
  const cipher = new CredentialCipher(generateCredentialsKey());
  const { workspaceId } = await seedWorkspace(db);
  const channelId = await seedCustomChannel({ db, cipher }, workspaceId, 'http://127.0.0.1:9/');
  const { workflowId, versionId, stepIds } = await publishWorkflow(db, workspaceId, [
    {
      key: 'hello',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  const contactId = await seedContact(db, workspaceId, { firstName: 'Ada' });
  const run = { workspaceId, workflowId, versionId, contactId, stepId: stepIds.hello! };
  // Statistics taken while both tables are empty, then the batch's runs and 5,000 deliveries
  // of another run added.
  await client.query('analyze runs');
  const keys: DeliveryKey[] = [];
  for (let i = 0; i < 100; i++) {
    const runId = await seedRunAt(db, run);
    keys.push({ workspaceId, runId, stepId: stepIds.hello!, visit: 1 });
  }
  const filler = await seedRunAt(db, run);
  await client.query('analyze deliveries');
  await client.query(
    `insert into deliveries (workspace_id, run_id, step_id, visit, status)
     select $1, $2, $3, v, 'sent' from generate_series(1, 5000) v`,
    [workspaceId, filler, stepIds.hello],
  );

  const claimed = await claimDeliveries(explaining(), keys);
  expect(claimed.filter((delivery) => delivery.claimed)).toHaveLength(100);
  const [plan] = plans;
  const deliveryScans = nodes(plan!).filter(
    (node) => node['Relation Name'] === 'deliveries' && /Scan/.test(node['Node Type']),
  );
  expect(deliveryScans.length).toBeGreaterThan(0);
  expect(repeatedTableScans(deliveryScans)).toEqual([]);
  expect(repeatedParsing(plan!)).toEqual([]);

  // Recording them and moving their runs: the same, for deliveries and runs.
  plans.length = 0;
  const moved = await recordAndMove(
    explaining(),
    claimed.map((delivery) => ({
      deliveryId: delivery.id,
      attempts: delivery.attempts,
      claimedAtMs: delivery.claimedAtMs,
      status: 'sent' as const,
      channelId,
      recipient: null,
      reasonCode: null,
      reasonDetail: null,
      providerMessageId: `m-${delivery.id}`,
      contentSummary: 'Hello',
      messageIdHeader: null,
      segments: null,
      thread: null,
    })),
    claimed.map((delivery) => ({
      runId: delivery.runId,
      workspaceId,
      workflowId,
      contactId,
      fromVisit: 1,
      fromStepId: stepIds.hello!,
      afterDeliveryId: delivery.id,
      status: 'completed' as const,
      stepId: null,
      visit: 2,
      dueInSeconds: 0,
      exitReason: null,
      alreadyEnqueued: false,
    })),
  );
  expect(moved).toHaveLength(100);
  const scans = nodes(plans[0]!).filter(
    (node) =>
      ['deliveries', 'runs'].includes(node['Relation Name'] ?? '') &&
      /Scan/.test(node['Node Type']),
  );
  expect(repeatedTableScans(scans)).toEqual([]);
  expect(repeatedParsing(plans[0]!)).toEqual([]);
});
