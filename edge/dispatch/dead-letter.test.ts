import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, runs } from '../../db/schema';
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
  waitForRun,
} from './test-seed';
import { type DispatchHarness, startDispatchHarness, startThroughApi } from './test-support';

/**
 * The dead letter queue in workerd: a message the dispatch queue gave up on fails its step,
 * and the run is routed like any other failure.
 */

let harness: DispatchHarness;
let endpoint: WebhookReceiver;

beforeAll(async () => {
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  harness = await startDispatchHarness();
});

afterAll(async () => {
  await harness?.close();
  await endpoint?.close();
});

/** A workflow whose first send is held by a 429 (so its message waits an hour for a retry). */
async function heldRun(failureBranchEnabled: boolean) {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  const contactId = await seedContact(harness.db, workspaceId, {}, [
    { channelId, address: `held-${failureBranchEnabled}` },
  ]);
  const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'first',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId }, failureBranchEnabled }),
      failure: 'pause',
    },
    { key: 'pause', type: 'wait', config: { seconds: 3600 } },
  ]);
  const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
  return { runId: runId!, stepIds };
}

/**
 * A run on a send step whose message never produced a delivery (every attempt crashed before
 * the claim): it waited first, then was moved onto the send step without its message.
 */
async function runAtUnsentStep() {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  const contactId = await seedContact(harness.db, workspaceId, {}, [{ channelId, address: 'x' }]);
  const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
    { key: 'pause', type: 'wait', config: { seconds: 3600 }, next: 'first' },
    {
      key: 'first',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
  await harness.db
    .update(runs)
    .set({ currentStepId: stepIds.first, stepVisit: 2, dueAt: new Date() })
    .where(eq(runs.id, runId!));
  return { runId: runId!, stepIds };
}

describe('dead letters', () => {
  it('mark the delivery failed with its last reason, keeping the address it was sent to, and take the failure branch', async () => {
    endpoint.respondWith(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const { runId, stepIds } = await heldRun(true);
    await waitForRun(
      harness.db,
      runId,
      (r) => r.enqueuedAt !== null && r.dueAt > new Date(Date.now() + 60_000),
    );

    await harness.enqueue({ runId, visit: 1 }, 'dead-letter');
    const run = await waitForRun(harness.db, runId, (r) => r.stepVisit === 2);
    expect(run).toMatchObject({ status: 'active', currentStepId: stepIds.pause });
    const [delivery] = await readDeliveries(harness.db, runId);
    expect(delivery).toMatchObject({
      status: 'failed',
      reasonCode: 'rate_limited',
      reasonDetail: 'dead-lettered',
      recipient: 'held-true',
    });
    expect(run).toMatchObject({ leaseUntil: null });
  });

  it('fail a step that never got a delivery with reason network, and exit the run when the toggle is off', async () => {
    const { runId, stepIds } = await runAtUnsentStep();
    await harness.enqueue({ runId, visit: 2 }, 'dead-letter');
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({
      status: 'exited',
      exitReason: 'network',
      currentStepId: stepIds.first,
    });
    const rows = await harness.db.select().from(deliveries).where(eq(deliveries.runId, runId!));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      stepId: stepIds.first,
      visit: 2,
      status: 'failed',
      reasonCode: 'network',
      reasonDetail: 'dead-lettered',
      attempts: 0,
      // No attempt was made: no address is known.
      recipient: null,
    });
  });

  it('leave a run whose send a live claim holds to that send, then fail it once the claim is gone', async () => {
    const { runId, stepIds } = await runAtUnsentStep();
    // A consumer claimed the step (its message went to the dead letter queue meanwhile: a
    // duplicate) and is still calling the provider.
    const deliveryId = crypto.randomUUID();
    await harness.db
      .update(runs)
      .set({ deliveryId, deliveryAttempts: 1, leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(runs.id, runId!));
    await harness.enqueue({ runId, visit: 2 }, 'dead-letter');
    // A barrier: a second dead letter that does change something, consumed after the first.
    const other = await runAtUnsentStep();
    await harness.enqueue({ runId: other.runId, visit: 2 }, 'dead-letter');
    await waitForRun(harness.db, other.runId!, (r) => r.status !== 'active');
    expect(await readDeliveries(harness.db, runId!)).toEqual([]);
    expect(await readRun(harness.db, runId!)).toMatchObject({
      status: 'active',
      currentStepId: stepIds.first,
      stepVisit: 2,
      deliveryFinished: false,
    });

    // The holder died: once its lease ran out, the dead letter fails the step under its id.
    await harness.db
      .update(runs)
      .set({ leaseUntil: new Date(Date.now() - 1_000) })
      .where(eq(runs.id, runId!));
    await harness.enqueue({ runId, visit: 2 }, 'dead-letter');
    await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(await readDeliveries(harness.db, runId!)).toMatchObject([
      { id: deliveryId, status: 'failed', attempts: 1, reasonDetail: 'dead-lettered' },
    ]);
  });

  it('leave a run alone when the dead letter is for a step it has already left', async () => {
    endpoint.respondWith(() => ({ status: 200, body: '{"id":"ok"}' }));
    const { runId } = await heldRun(false);
    await waitForRun(harness.db, runId, (r) => r.status === 'completed');
    const before = await readRun(harness.db, runId);

    await harness.enqueue({ runId, visit: 1 }, 'dead-letter');
    // A barrier: a second dead letter that does change something, consumed after the first.
    const barrier = await runAtUnsentStep();
    await harness.enqueue({ runId: barrier.runId, visit: 2 }, 'dead-letter');
    await waitForRun(harness.db, barrier.runId, (r) => r.status === 'exited');
    expect(await readRun(harness.db, runId)).toEqual(before);
    const [delivery] = await readDeliveries(harness.db, runId);
    expect(delivery!.status).toBe('sent');
  });

  it('leave a run at a wait step where it is: a wait cannot fail, the sweep re-enqueues it', async () => {
    endpoint.respondWith(() => ({ status: 400, body: '{"error":"rejected"}' }));
    const { runId, stepIds } = await heldRun(true);
    // The first send is rejected; the failure branch then waits an hour at `pause`.
    const waiting = await waitForRun(
      harness.db,
      runId,
      (r) => r.currentStepId === stepIds.pause && r.enqueuedAt !== null,
    );
    await harness.enqueue({ runId, visit: waiting.stepVisit }, 'dead-letter');
    // A barrier: a second dead letter that does change something, consumed after the first.
    const barrier = await runAtUnsentStep();
    await harness.enqueue({ runId: barrier.runId, visit: 2 }, 'dead-letter');
    await waitForRun(harness.db, barrier.runId, (r) => r.status === 'exited');
    expect(await readRun(harness.db, runId)).toMatchObject({
      status: 'active',
      currentStepId: stepIds.pause,
      stepVisit: waiting.stepVisit,
      exitReason: null,
    });
  });
});
