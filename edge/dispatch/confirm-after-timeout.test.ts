import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { channels, deliveries, runs } from '../../db/schema';
import { applyStatusUpdates } from '../callbacks/status-updates';
import type { StatusEvent } from '../channels/events';
import { useNodeDispatch } from './test-node-dispatch';
import {
  consumeRuns,
  publishWorkflow,
  readDeliveries,
  readRun,
  seedContact,
  seedRunAt,
  seedWorkspace,
  sendConfig,
} from './test-seed';

/**
 * Confirm delivery after a send whose outcome was unknown (a timeout): the delivery waited for
 * its retry, a provider `sent` status proved it accepted (edge/callbacks/status-updates.ts),
 * and when the retry comes due the run waits for the delivered or failed status, within the
 * step's timeout counted from the acceptance, as a send the provider accepted at once does
 * (edge/dispatch/route.ts, routeFinishedDelivery).
 */

const node = useNodeDispatch();
const TIMEOUT_MINUTES = 10;

/** A run at a WhatsApp step with confirm delivery whose first attempt timed out. */
async function timedOutSend() {
  const { workspaceId } = await seedWorkspace(node.db);
  const [channel] = await node.db
    .insert(channels)
    .values({
      workspaceId,
      type: 'whatsapp',
      provider: 'meta',
      name: 'WhatsApp',
      settings: { phoneNumberId: '1', businessAccountId: '2' },
      credentialsCiphertext: await node.cipher.encrypt({ accessToken: 't', appSecret: 's' }),
    })
    .returning({ id: channels.id });
  const channelId = channel!.id;
  const contactId = await seedContact(node.db, workspaceId, { phone: '+15550004001' }, [
    { channelId, address: '15550004001' },
  ]);
  const { workflowId, versionId, stepIds } = await publishWorkflow(node.db, workspaceId, [
    {
      key: 'send',
      type: 'send_message',
      config: sendConfig({
        channel: { kind: 'specific', channelId },
        confirmDelivery: { timeoutMinutes: TIMEOUT_MINUTES },
      }),
      next: 'pause',
    },
    { key: 'pause', type: 'wait', config: { seconds: 3600 } },
  ]);
  const runId = await seedRunAt(node.db, {
    workspaceId,
    workflowId,
    versionId,
    contactId,
    stepId: stepIds.send!,
  });
  // As the timed-out attempt's record leaves it: waiting for its retry, due now.
  const [row] = await node.db
    .insert(deliveries)
    .values({
      workspaceId,
      runId,
      stepId: stepIds.send!,
      visit: 1,
      status: 'queued',
      attempts: 1,
      channelId,
      reasonCode: 'network',
      reasonDetail: 'timeout',
    })
    .returning();
  await node.db
    .update(runs)
    .set({ deliveryId: row!.id, deliveryAttempts: 1, deliveryChannelId: channelId })
    .where(eq(runs.id, runId));
  return { channelId, runId, deliveryId: row!.id, pauseStepId: stepIds.pause! };
}

function status(
  channelId: string,
  deliveryId: string,
  state: StatusEvent['status'],
  at = new Date(),
): StatusEvent {
  return {
    kind: 'status',
    eventKey: `${deliveryId}:${state}`,
    channelId,
    providerMessageId: `wamid.${deliveryId}`,
    deliveryId,
    status: state,
    at: at.toISOString(),
    failure: null,
  };
}

describe('confirm delivery after a send that timed out and a sent status proved accepted', () => {
  it('waits for the delivered status when the retry comes due, then continues', async () => {
    const send = await timedOutSend();
    const acceptedAt = new Date(Date.now() - 60_000);
    await applyStatusUpdates(node.db, [
      status(send.channelId, send.deliveryId, 'sent', acceptedAt),
    ]);
    // The retry comes due: nothing is sent again, and the run waits at the step for the rest
    // of the step's timeout counted from the acceptance.
    await consumeRuns(node, [send.runId]);
    const waiting = await readRun(node.db, send.runId);
    expect(waiting).toMatchObject({ status: 'active', stepVisit: 1, leaseUntil: null });
    const left = (waiting.dueAt.getTime() - acceptedAt.getTime()) / 60_000;
    expect(left).toBeGreaterThan(TIMEOUT_MINUTES - 0.2);
    expect(left).toBeLessThan(TIMEOUT_MINUTES + 0.2);
    expect(await readDeliveries(node.db, send.runId)).toMatchObject([
      { status: 'sent', attempts: 1, providerStatus: 'sent' },
    ]);

    // The delivered status makes it due, and the run goes on.
    const woken = await applyStatusUpdates(node.db, [
      status(send.channelId, send.deliveryId, 'delivered'),
    ]);
    expect(woken.woken).toEqual([{ runId: send.runId, visit: 1 }]);
    await consumeRuns(node, [send.runId]);
    expect(await readRun(node.db, send.runId)).toMatchObject({
      status: 'active',
      stepVisit: 2,
      currentStepId: send.pauseStepId,
    });
  });

  it('continues when the retry comes due after the timeout counted from the acceptance', async () => {
    const send = await timedOutSend();
    const acceptedAt = new Date(Date.now() - (TIMEOUT_MINUTES + 1) * 60_000);
    await applyStatusUpdates(node.db, [
      status(send.channelId, send.deliveryId, 'sent', acceptedAt),
    ]);
    await consumeRuns(node, [send.runId]);
    expect(await readRun(node.db, send.runId)).toMatchObject({
      stepVisit: 2,
      currentStepId: send.pauseStepId,
    });
  });
});
