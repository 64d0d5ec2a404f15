import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, runs, workflows } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  publishWorkflow,
  readDeliveries,
  readRun,
  seedContact,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitFor,
  waitForRun,
} from './test-seed';
import { type DispatchHarness, startDispatchHarness, startThroughApi } from './test-support';

/**
 * The cron sweep in workerd: work that was committed but never enqueued, whose message was
 * lost, or whose claim expired after the provider accepted, is picked up again, and a send
 * that is repeated carries the same idempotency key.
 */

let harness: DispatchHarness;
let endpoint: WebhookReceiver;
let setup: {
  workspaceId: string;
  apiKey: string;
  channelId: string;
  workflowId: string;
  stepId: string;
};

const MINUTES = 60_000;

beforeAll(async () => {
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  harness = await startDispatchHarness();
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'hello',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  setup = { workspaceId, apiKey, channelId, workflowId, stepId: stepIds.hello! };
});

afterAll(async () => {
  await harness?.close();
  await endpoint?.close();
});

async function contact(name: string): Promise<string> {
  return seedContact(harness.db, setup.workspaceId, { firstName: name }, [
    { channelId: setup.channelId, address: name },
  ]);
}

/** A run written as startWorkflow writes it, but whose message never reached the queue. */
async function committedRun(contactId: string, enqueuedAt: Date | null, updatedAt: Date) {
  const [workflow] = await harness.db
    .select({ versionId: workflows.publishedVersionId })
    .from(workflows)
    .where(eq(workflows.id, setup.workflowId));
  const [run] = await harness.db
    .insert(runs)
    .values({
      workspaceId: setup.workspaceId,
      workflowId: setup.workflowId,
      versionId: workflow!.versionId!,
      contactId,
      currentStepId: setup.stepId,
      stepVisit: 1,
      dueAt: new Date(Date.now() - MINUTES),
      enqueuedAt,
      updatedAt,
    })
    .returning({ id: runs.id });
  return run!.id;
}

function requestsFor(deliveryId: string) {
  return endpoint.requests.filter((request) => request.idempotencyKey === deliveryId);
}

describe('the sweep', () => {
  it('re-sends with the same idempotency key after a crash between the provider accepting and the record', async () => {
    const contactId = await contact('crash');
    const [runId] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(requestsFor(delivery!.id)).toHaveLength(1);

    // The provider has its receipt, but the consumer died before recording it: no delivery row
    // yet, the run still on the step and claimed for that delivery by a lease that has now
    // expired.
    await harness.db.delete(deliveries).where(eq(deliveries.id, delivery!.id));
    await harness.db
      .update(runs)
      .set({
        status: 'active',
        stepVisit: 1,
        currentStepId: setup.stepId,
        endedAt: null,
        deliveryId: delivery!.id,
        deliveryAttempts: 1,
        deliveryFinished: false,
        leaseUntil: new Date(Date.now() - 1000),
      })
      .where(eq(runs.id, runId!));

    await harness.worker.triggerScheduled();
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');
    const receipts = requestsFor(delivery!.id);
    expect(receipts).toHaveLength(2);
    expect(receipts[1]!.headers['webhook-id']).toBe(receipts[0]!.headers['webhook-id']);
    expect(receipts[1]!.idempotencyKey).toBe(delivery!.id);
    expect(receipts[1]!.signatureError).toBeUndefined();
    const [after] = await readDeliveries(harness.db, runId!);
    expect(after).toMatchObject({
      id: delivery!.id,
      status: 'sent',
      attempts: 2,
    });
    expect(await readRun(harness.db, runId!)).toMatchObject({ leaseUntil: null });
  });

  it('leaves a claim whose lease has not expired alone', async () => {
    const contactId = await contact('leased');
    const runId = await committedRun(contactId, new Date(Date.now() - 30 * MINUTES), new Date());
    // A live consumer holds the run's delivery (claimed, sending) for ten more minutes.
    const held = { id: crypto.randomUUID() };
    await harness.db
      .update(runs)
      .set({
        deliveryId: held.id,
        deliveryAttempts: 1,
        leaseUntil: new Date(Date.now() + 10 * MINUTES),
      })
      .where(eq(runs.id, runId));
    await harness.worker.triggerScheduled();
    // The stale run's message arrives, finds the claim held, and comes back after the lease.
    await waitFor(
      async () => (await readRun(harness.db, runId)).enqueuedAt! > new Date(Date.now() - MINUTES),
    );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(requestsFor(held.id)).toHaveLength(0);
    expect(await readDeliveries(harness.db, runId)).toHaveLength(0);
    expect(await readRun(harness.db, runId)).toMatchObject({ status: 'active', stepVisit: 1 });
  });

  it('enqueues a run that was committed but never enqueued', async () => {
    const contactId = await contact('never');
    const runId = await committedRun(contactId, null, new Date(Date.now() - 5 * MINUTES));
    await harness.worker.triggerScheduled();
    const run = await waitForRun(harness.db, runId, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const [delivery] = await readDeliveries(harness.db, runId);
    expect(requestsFor(delivery!.id)).toHaveLength(1);
  });

  it('does not touch a run committed a moment ago (its request is about to enqueue it)', async () => {
    const contactId = await contact('fresh');
    const runId = await committedRun(contactId, null, new Date());
    await harness.worker.triggerScheduled();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await readRun(harness.db, runId)).toMatchObject({ status: 'active', enqueuedAt: null });
    expect(await readDeliveries(harness.db, runId)).toHaveLength(0);
  });

  it('re-enqueues a run whose message was lost long ago', async () => {
    const contactId = await contact('lost');
    const runId = await committedRun(contactId, new Date(Date.now() - 30 * MINUTES), new Date());
    await harness.worker.triggerScheduled();
    const run = await waitForRun(harness.db, runId, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
  });
});
