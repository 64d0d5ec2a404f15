import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs, workflows } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { REFUSING_SHARDS_PATH } from '../../test/fixtures/refusing-shards';
import { shardOf } from './shards';
import {
  publishWorkflow,
  readDeliveries,
  seedContact,
  seedCustomChannel,
  seedRunAt,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitFor,
} from './test-seed';
import { type DispatchHarness, startDispatchHarness, startThroughApi } from './test-support';

/**
 * The dispatch queue in shards, in workerd over Miniflare's queues: the API and the consumer put
 * each run's messages on its shard, the Worker dispatches batches from any shard, every contact
 * is sent to once, and a shard whose queue refuses messages leaves its runs to the sweep.
 */

const SHARDS = 3;
/** Not a dispatch shard's name (edge/dispatch/queues.ts), nor any other queue the Worker knows. */
const UNKNOWN_QUEUE = 'sendflow-dispatch-x';

let endpoint: WebhookReceiver;

beforeAll(async () => {
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
});

afterAll(async () => {
  await endpoint?.close();
});

/** A workspace, its custom channel, `contacts` contacts on it and a published workflow. */
async function setup(harness: DispatchHarness, contacts: number, steps: 1 | 2 = 1) {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  const send = {
    type: 'send_message' as const,
    config: sendConfig({ channel: { kind: 'specific', channelId } }),
  };
  const { workflowId, stepIds } = await publishWorkflow(
    harness.db,
    workspaceId,
    steps === 1
      ? [{ key: 'hello', ...send }]
      : [
          { key: 'hello', ...send, next: 'again' },
          { key: 'again', ...send },
        ],
  );
  const contactIds: string[] = [];
  for (let i = 0; i < contacts; i++) {
    contactIds.push(
      await seedContact(harness.db, workspaceId, { firstName: `S${i}` }, [
        { channelId, address: `s${i}-${channelId.slice(0, 8)}` },
      ]),
    );
  }
  return { workspaceId, apiKey, channelId, workflowId, stepIds, contactIds };
}

async function statuses(harness: DispatchHarness, runIds: readonly string[]) {
  const rows = await harness.db
    .select({ id: runs.id, status: runs.status, enqueuedAt: runs.enqueuedAt })
    .from(runs)
    .where(inArray(runs.id, [...runIds]));
  return new Map(rows.map((row) => [row.id, row]));
}

function waitForCompleted(harness: DispatchHarness, runIds: readonly string[], timeoutMs = 30_000) {
  return waitFor(
    async () =>
      [...(await statuses(harness, runIds)).values()].filter((r) => r.status === 'completed')
        .length === runIds.length,
    { timeoutMs, what: `${runIds.length} runs completed` },
  );
}

/** The requests the endpoint got for each delivery of `runIds`. */
async function requestsPerDelivery(harness: DispatchHarness, runIds: readonly string[]) {
  const counts: number[] = [];
  for (const runId of runIds) {
    for (const delivery of await readDeliveries(harness.db, runId)) {
      counts.push(endpoint.requests.filter((r) => r.idempotencyKey === delivery.id).length);
    }
  }
  return counts;
}

describe('with one shard of three consumed', () => {
  let harness: DispatchHarness;

  beforeAll(async () => {
    harness = await startDispatchHarness({
      dispatchShards: SHARDS,
      consumedShards: [1],
      unknownQueues: [UNKNOWN_QUEUE],
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it("puts each run's messages, first and next steps, on its shard, and dispatches that shard's batches, not an unknown queue's", async () => {
    const { apiKey, workflowId, contactIds } = await setup(harness, 24, 2);
    const runIds = await startThroughApi(harness, apiKey, workflowId, contactIds);
    const onShard1 = runIds.filter((id) => shardOf(id, SHARDS) === 1);
    const elsewhere = runIds.filter((id) => shardOf(id, SHARDS) !== 1);
    expect(onShard1.length).toBeGreaterThan(0);
    expect(elsewhere.length).toBeGreaterThan(0);
    // Both steps' messages: the second is enqueued by the consumer, and would stall on an
    // unconsumed shard if it went anywhere but the run's own.
    // A queue the Worker does not know is not taken for dispatch, even with a valid message.
    await harness.enqueue({ v: 1, runId: elsewhere[0], visit: 1 }, { unknown: UNKNOWN_QUEUE });
    await waitForCompleted(harness, onShard1);
    expect(await requestsPerDelivery(harness, onShard1)).toEqual(onShard1.flatMap(() => [1, 1]));
    // Longer than a batch's timeout: the other shards' messages had every chance to be consumed.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const rows = await statuses(harness, elsewhere);
    for (const runId of elsewhere) {
      expect(rows.get(runId)?.status).toBe('active');
      expect(await readDeliveries(harness.db, runId)).toEqual([]);
    }
  });
});

describe('with three shards consumed', () => {
  let harness: DispatchHarness;

  /** Makes the listed shards' `sendBatch` fail in the Worker (test/fixtures/refusing-shard-worker.ts). */
  async function refuse(shards: number[]) {
    const response = await harness.worker.dispatchFetch(
      `http://worker.test${REFUSING_SHARDS_PATH}`,
      { method: 'POST', body: JSON.stringify({ refusing: shards }) },
    );
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    harness = await startDispatchHarness({
      dispatchShards: SHARDS,
      entry: 'test/fixtures/refusing-shard-worker.ts',
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('sends to each of N contacts exactly once, and copies of their messages on other shards send nothing', async () => {
    const { apiKey, workflowId, workspaceId, stepIds, contactIds } = await setup(harness, 60);
    const runIds = await startThroughApi(harness, apiKey, workflowId, contactIds);
    expect(new Set(runIds.map((id) => shardOf(id, SHARDS)))).toEqual(new Set([0, 1, 2]));
    await waitForCompleted(harness, runIds);
    expect(await requestsPerDelivery(harness, runIds)).toEqual(runIds.map(() => 1));

    // A copy of every run's first message on a shard other than its own, then one barrier run
    // per shard behind them: once the barriers are sent, every copy has been consumed.
    for (const runId of runIds) {
      await harness.enqueue({ v: 1, runId, visit: 1 }, { shard: (shardOf(runId, SHARDS) + 1) % 3 });
    }
    const [workflow] = await harness.db
      .select({ versionId: workflows.publishedVersionId })
      .from(workflows)
      .where(eq(workflows.id, workflowId));
    const barriers: string[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      const runId = await seedRunAt(harness.db, {
        workspaceId,
        workflowId,
        versionId: workflow!.versionId!,
        contactId: contactIds[shard]!,
        stepId: stepIds.hello!,
      });
      barriers.push(runId);
      await harness.enqueue({ v: 1, runId, visit: 1 }, { shard });
    }
    await waitForCompleted(harness, barriers);
    expect(await requestsPerDelivery(harness, runIds)).toEqual(runIds.map(() => 1));
  });

  it("leaves a refusing shard's runs unenqueued, for the sweep, which sends each once", async () => {
    const { apiKey, workflowId, contactIds } = await setup(harness, 24);
    await refuse([2]);
    let runIds: string[];
    try {
      runIds = await startThroughApi(harness, apiKey, workflowId, contactIds);
    } finally {
      await refuse([]);
    }
    const refused = runIds.filter((id) => shardOf(id, SHARDS) === 2);
    const sent = runIds.filter((id) => shardOf(id, SHARDS) !== 2);
    expect(refused.length).toBeGreaterThan(0);
    await waitForCompleted(harness, sent);
    const rows = await statuses(harness, refused);
    for (const runId of refused) {
      // Active, due and never stamped: what the sweep re-enqueues once its grace has passed.
      expect(rows.get(runId)).toMatchObject({ status: 'active', enqueuedAt: null });
      expect(await readDeliveries(harness.db, runId)).toEqual([]);
    }

    // The grace the sweep gives a request that may still enqueue its runs, passed.
    await harness.db
      .update(runs)
      .set({ updatedAt: new Date(Date.now() - 2 * 60_000) })
      .where(inArray(runs.id, refused));
    await harness.worker.triggerScheduled();
    await waitForCompleted(harness, refused);
    expect(await requestsPerDelivery(harness, runIds)).toEqual(runIds.map(() => 1));
  });
});
