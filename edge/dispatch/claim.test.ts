import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { deliveries, runs } from '../../db/schema';
import type { EventPublisher } from '../events/types';
import { RUN_CANCELLED_DETAIL_PREFIX } from './cancelled';
import { type ClaimedDelivery, claimDeliveries, type DeliveryKey } from './claim';
import { recordAndMove } from './record';
import type { DeliveryOutcome, RunMove } from './record-input';
import { twoConsumers } from './test-consumers';
import {
  readDeliveries,
  readRun,
  recordingPublisher,
  seedRunAt,
  seedWorkflowAndContact,
  sendConfig,
} from './test-seed';

/**
 * Claims are on the run row (edge/dispatch/claim.ts): each delivery is claimed by one consumer
 * at a time, a claim whose holder died is taken over under the same delivery id, and the
 * holder it was taken from records nothing. Two pools, so that two "consumers" really run at
 * once.
 */

const { one, two } = twoConsumers();
let seed: {
  workspaceId: string;
  workflowId: string;
  versionId: string;
  stepId: string;
  contactId: string;
};

beforeAll(async () => {
  const { stepIds, ...ids } = await seedWorkflowAndContact(
    one.db,
    [{ key: 'send', type: 'send_message', config: sendConfig() }],
    'Claimed',
  );
  seed = { ...ids, stepId: stepIds.send! };
});

/** `count` new runs at the send step, and the keys a batch of their messages claims. */
async function runsAtSend(count: number): Promise<DeliveryKey[]> {
  const keys: DeliveryKey[] = [];
  for (let i = 0; i < count; i++) {
    const runId = await seedRunAt(one.db, seed);
    keys.push({ workspaceId: seed.workspaceId, runId, stepId: seed.stepId, visit: 1 });
  }
  return keys;
}

/** The record of a sent attempt under `claim`, completing its run. */
function recordSent(db: Database, claim: ClaimedDelivery, events?: EventPublisher) {
  const outcome: DeliveryOutcome = {
    deliveryId: claim.id,
    attempts: claim.attempts,
    claimedAtMs: claim.claimedAtMs,
    status: 'sent',
    channelId: null,
    recipient: null,
    reasonCode: null,
    reasonDetail: null,
    providerMessageId: `sent-by-attempt-${claim.attempts}`,
    contentSummary: 'Hello',
    messageIdHeader: null,
    segments: null,
    thread: null,
  };
  const move: RunMove = {
    runId: claim.runId,
    workspaceId: seed.workspaceId,
    workflowId: seed.workflowId,
    contactId: seed.contactId,
    fromVisit: 1,
    fromStepId: seed.stepId,
    afterDeliveryId: claim.id,
    status: 'completed',
    stepId: seed.stepId,
    visit: 1,
    dueInSeconds: 0,
    exitReason: null,
    alreadyEnqueued: false,
  };
  return recordAndMove(db, [outcome], [move], events);
}

/**
 * The state a record leaves when it keeps the run at its visit (a retry, a confirm-delivery
 * wait): the delivery written with `fields` at the claim's attempt, the claim released.
 */
async function recordedByHand(
  claim: ClaimedDelivery,
  fields: Pick<typeof deliveries.$inferInsert, 'status' | 'reasonCode' | 'reasonDetail'>,
) {
  await one.db.insert(deliveries).values({
    id: claim.id,
    workspaceId: seed.workspaceId,
    runId: claim.runId,
    stepId: seed.stepId,
    visit: 1,
    attempts: claim.attempts,
    ...fields,
  });
  await one.db
    .update(runs)
    .set({ leaseUntil: null, deliveryFinished: fields.status !== 'queued' })
    .where(eq(runs.id, claim.runId));
}

describe('claiming deliveries on their runs', () => {
  it('gives each run to one of two consumers claiming the same batch at once', async () => {
    const keys = await runsAtSend(20);
    const [first, second] = await Promise.all([
      claimDeliveries(one.db, keys),
      claimDeliveries(two.db, keys),
    ]);
    for (const { runId } of keys) {
      const claims = [...first, ...second].filter((c) => c.runId === runId && c.claimed);
      expect(claims).toHaveLength(1);
    }
    // The loser of a race sees the winner's claim with its lease, or nothing (it claimed after
    // the loser's snapshot): either way it sends nothing and looks again later.
    for (const claim of [...first, ...second].filter((c) => !c.claimed)) {
      expect(claim).toMatchObject({ status: 'sending', claimedAtMs: null });
      expect(claim.leaseUntilMs).toBeGreaterThan(Date.now());
    }
    const run = await readRun(one.db, keys[0]!.runId);
    expect(run).toMatchObject({ deliveryAttempts: 1 });
    expect(run.leaseUntil).not.toBeNull();
  });

  it('takes over an expired claim under the same delivery id, and the late holder records nothing', async () => {
    const [key] = await runsAtSend(1);
    const [dead] = await claimDeliveries(one.db, [key!], 1);
    expect(dead).toMatchObject({ claimed: true, attempts: 1 });
    // Held: a second consumer gets the lease, not the claim.
    const [held] = await claimDeliveries(two.db, [key!]);
    expect(held).toMatchObject({ claimed: false, id: dead!.id });
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const [taken] = await claimDeliveries(two.db, [key!]);
    expect(taken).toMatchObject({ claimed: true, id: dead!.id, attempts: 2 });
    // The first holder was only slow: its record comes after the takeover and changes nothing.
    expect(await recordSent(one.db, dead!)).toEqual([]);
    expect(await readDeliveries(one.db, key!.runId)).toEqual([]);
    expect(await recordSent(two.db, taken!)).toMatchObject([{ status: 'completed' }]);
    expect(await readDeliveries(one.db, key!.runId)).toMatchObject([
      { id: dead!.id, status: 'sent', attempts: 2, providerMessageId: 'sent-by-attempt-2' },
    ]);
    expect(await readRun(one.db, key!.runId)).toMatchObject({ leaseUntil: null });
  });

  it('records a send whose run was cancelled while it was in flight, and leaves the run cancelled', async () => {
    const [key] = await runsAtSend(1);
    const [claim] = await claimDeliveries(one.db, [key!]);
    // cancelRun commits while the provider is being called.
    await two.db
      .update(runs)
      .set({ status: 'exited', exitReason: 'cancelled', endedAt: new Date() })
      .where(eq(runs.id, key!.runId));
    // Nothing moves, but the message went out: its delivery is recorded, the claim released.
    const recorder = recordingPublisher(one.db);
    expect(await recordSent(one.db, claim!, recorder.events)).toEqual([]);
    // Its delivery's events and no run event, published as the log replays them.
    const { published, replayed } = await recorder.compared(seed.workspaceId, key!.runId);
    expect(replayed.map((e) => e.event.type)).toEqual(['delivery.queued', 'delivery.sent']);
    expect(published).toEqual(replayed);
    expect(await readDeliveries(one.db, key!.runId)).toMatchObject([
      { id: claim!.id, status: 'sent', attempts: 1, providerMessageId: 'sent-by-attempt-1' },
    ]);
    expect(await readRun(one.db, key!.runId)).toMatchObject({
      status: 'exited',
      exitReason: 'cancelled',
      leaseUntil: null,
    });
  });

  it('fails a retry whose run was cancelled while its attempt was in flight (run_cancelled), with its delivery.failed', async () => {
    const [key] = await runsAtSend(1);
    const [claim] = await claimDeliveries(one.db, [key!]);
    // cancelRun commits while the provider is being called; the attempt then times out.
    await two.db
      .update(runs)
      .set({ status: 'exited', exitReason: 'cancelled', endedAt: new Date() })
      .where(eq(runs.id, key!.runId));
    const outcome: DeliveryOutcome = {
      deliveryId: claim!.id,
      attempts: claim!.attempts,
      claimedAtMs: claim!.claimedAtMs,
      status: 'queued',
      channelId: null,
      recipient: null,
      reasonCode: 'network',
      reasonDetail: 'timeout',
      providerMessageId: null,
      contentSummary: 'Hello',
      messageIdHeader: null,
      segments: null,
      thread: null,
    };
    const retry: RunMove = {
      runId: claim!.runId,
      workspaceId: seed.workspaceId,
      workflowId: seed.workflowId,
      contactId: seed.contactId,
      fromVisit: 1,
      fromStepId: seed.stepId,
      afterDeliveryId: claim!.id,
      status: 'active',
      stepId: seed.stepId,
      visit: 1,
      dueInSeconds: 30,
      exitReason: null,
      alreadyEnqueued: true,
    };
    const recorder = recordingPublisher(one.db);
    expect(await recordAndMove(one.db, [outcome], [retry], recorder.events)).toEqual([]);
    // The retry will never come: no delivery is left queued behind the cancelled run.
    expect(await readDeliveries(one.db, key!.runId)).toMatchObject([
      {
        id: claim!.id,
        status: 'failed',
        attempts: 1,
        reasonCode: 'run_cancelled',
        reasonDetail: `${RUN_CANCELLED_DETAIL_PREFIX}timeout`,
      },
    ]);
    const { published, replayed } = await recorder.compared(seed.workspaceId, key!.runId);
    expect(replayed.map((e) => e.event.type)).toEqual(['delivery.queued', 'delivery.failed']);
    expect(replayed[1]!.event.data).toMatchObject({
      delivery: {
        status: 'failed',
        reason: { code: 'run_cancelled', detail: `${RUN_CANCELLED_DETAIL_PREFIX}timeout` },
      },
    });
    expect(published).toEqual(replayed);
    expect(await readRun(one.db, key!.runId)).toMatchObject({
      status: 'exited',
      leaseUntil: null,
    });
  });

  it('returns a delivery finished at the visit unclaimed, with its status and reason', async () => {
    const [key] = await runsAtSend(1);
    const [claim] = await claimDeliveries(one.db, [key!]);
    // The attempt's outcome was recorded and the run kept at the step (a confirm-delivery wait);
    // then the provider reported a failure after accepting it.
    await recordedByHand(claim!, {
      status: 'failed',
      reasonCode: 'rejected_by_provider',
      reasonDetail: 'undeliverable',
    });

    const [again] = await claimDeliveries(two.db, [key!]);
    expect(again).toMatchObject({
      claimed: false,
      id: claim!.id,
      status: 'failed',
      reasonCode: 'rejected_by_provider',
      reasonDetail: 'undeliverable',
    });
    expect(await readRun(one.db, key!.runId)).toMatchObject({
      deliveryAttempts: 1,
      leaseUntil: null,
    });
  });

  it('does not claim a delivery that a statement it waited for finished', async () => {
    const [key] = await runsAtSend(1);
    const [dead] = await claimDeliveries(one.db, [key!], 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // The holder was only slow: its record (kept at the step, a confirm-delivery wait) holds the
    // run's row while a second consumer, which saw the lease run out, tries to claim it.
    const holder = await one.pool.connect();
    try {
      await holder.query('begin');
      await holder.query(
        'update runs set lease_until = null, delivery_finished = true where id = $1',
        [key!.runId],
      );
      const claiming = claimDeliveries(two.db, [key!]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('commit');
      // It re-checks the row it waited for: finished, so not claimed (and it looks again later).
      expect(await claiming).toEqual([]);
    } finally {
      holder.release();
    }
    expect(await readRun(one.db, key!.runId)).toMatchObject({
      deliveryId: dead!.id,
      deliveryAttempts: 1,
      leaseUntil: null,
    });
  });

  it('claims a delivery waiting for its retry again, with one more attempt', async () => {
    const [key] = await runsAtSend(1);
    const [first] = await claimDeliveries(one.db, [key!]);
    await recordedByHand(first!, { status: 'queued', reasonCode: 'network' });
    const [retry] = await claimDeliveries(two.db, [key!]);
    expect(retry).toMatchObject({ claimed: true, id: first!.id, attempts: 2 });
  });
});
