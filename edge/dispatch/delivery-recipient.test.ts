import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { contactIdentities, contacts, deliveries, runs } from '../../db/schema';
import { useNodeDispatch } from './test-node-dispatch';
import {
  consumeRuns,
  publishWorkflow,
  readDeliveries,
  readRun,
  seedContact,
  seedCustomChannel,
  seedEmailChannel,
  seedRunAt,
  seedWorkspace,
  sendConfig,
} from './test-seed';

/**
 * A delivery records the address it was sent to (deliveries.recipient), and its retries go
 * there: a first attempt that timed out may have reached the contact at that address, so a
 * retry to the address they have since would deliver the message twice.
 */

const node = useNodeDispatch();

/** How long the consumer waits for the endpoint here; its first answer comes later. */
const SEND_TIMEOUT_MS = 300;

/** A run of a one-step workflow, at its send on `channelId`, due now. */
async function runAtSend(workspaceId: string, channelId: string, contactId: string) {
  const { workflowId, versionId, stepIds } = await publishWorkflow(node.db, workspaceId, [
    {
      key: 'hello',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  const stepId = stepIds.hello!;
  const runId = await seedRunAt(node.db, { workspaceId, workflowId, versionId, contactId, stepId });
  return { runId, stepId };
}

/**
 * A run at a send on a custom channel (the shared local endpoint) to a contact whose address
 * there is `ada-first`, whose first attempt times out: the endpoint receives it and answers
 * after the consumer gave up, so the outcome is unknown and the delivery waits for its retry.
 */
async function timedOutFirstAttempt() {
  const { workspaceId } = await seedWorkspace(node.db);
  const channelId = await seedCustomChannel(node, workspaceId, node.endpoint.url);
  const address = `ada-first-${channelId.slice(0, 8)}`;
  const contactId = await seedContact(node.db, workspaceId, { firstName: 'Ada' }, [
    { channelId, address },
  ]);
  const { runId } = await runAtSend(workspaceId, channelId, contactId);
  // The endpoint's requests are numbered across the file: this run's first is the next one.
  const before = node.endpoint.requests.length;
  node.endpoint.respondWith((_request, index) =>
    index === before ? { status: 200, delayMs: 3 * SEND_TIMEOUT_MS } : { status: 200 },
  );
  await consumeRuns(node, [runId], undefined, { sendTimeoutMs: SEND_TIMEOUT_MS });
  const [delivery] = await readDeliveries(node.db, runId);
  expect(delivery).toMatchObject({ status: 'queued', attempts: 1, recipient: address });
  return {
    channelId,
    contactId,
    runId,
    address,
    /** What the endpoint received for this run, in order. */
    received: () => node.endpoint.requests.slice(before).map((request) => request.json),
  };
}

/** The retry comes due now (its backoff is over). */
async function retryDue(runId: string) {
  await node.db.update(runs).set({ dueAt: sql`now()` }).where(eq(runs.id, runId));
}

describe('a delivery retried after a timed-out attempt', () => {
  it("goes to the address the first attempt went to though the contact's address changed, and keeps recording it", async () => {
    const send = await timedOutFirstAttempt();
    // The contact's address on the channel is edited before the retry.
    await node.db
      .update(contactIdentities)
      .set({ address: `ada-second-${send.channelId.slice(0, 8)}` })
      .where(
        and(
          eq(contactIdentities.contactId, send.contactId),
          eq(contactIdentities.channelId, send.channelId),
        ),
      );
    await retryDue(send.runId);
    await consumeRuns(node, [send.runId]);

    expect(await readRun(node.db, send.runId)).toMatchObject({ status: 'completed' });
    const [delivery] = await readDeliveries(node.db, send.runId);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 2, recipient: send.address });
    // Both attempts reached the first address, under the delivery's one id; the second never
    // got the message.
    expect(send.received()).toEqual([
      expect.objectContaining({ id: delivery!.id, recipient: send.address }),
      expect.objectContaining({ id: delivery!.id, recipient: send.address }),
    ]);
  });

  it('fails, sending nothing, when the contact no longer has an address on the channel', async () => {
    // An email delivery whose first attempt, to ada@example.com, timed out (as its record
    // leaves it: waiting for its retry, due now). Its channel is never reached here.
    const { workspaceId } = await seedWorkspace(node.db);
    const channelId = await seedEmailChannel(node, workspaceId, { host: '127.0.0.1', port: 9 });
    const contactId = await seedContact(node.db, workspaceId, { email: 'ada@example.com' });
    const { runId, stepId } = await runAtSend(workspaceId, channelId, contactId);
    const [row] = await node.db
      .insert(deliveries)
      .values({
        workspaceId,
        runId,
        stepId,
        visit: 1,
        status: 'queued',
        attempts: 1,
        channelId,
        recipient: 'ada@example.com',
        reasonCode: 'network',
        reasonDetail: 'timeout',
      })
      .returning();
    await node.db
      .update(runs)
      .set({ deliveryId: row!.id, deliveryAttempts: 1 })
      .where(eq(runs.id, runId));
    // The workspace removes the contact's email: the recorded address says where a retry goes,
    // never that it goes, so nothing more is sent there.
    await node.db.update(contacts).set({ email: null }).where(eq(contacts.id, contactId));
    await consumeRuns(node, [runId]);

    expect(await readRun(node.db, runId)).toMatchObject({
      status: 'exited',
      exitReason: 'no_associated_channel',
    });
    expect(await readDeliveries(node.db, runId)).toMatchObject([
      {
        status: 'failed',
        attempts: 2,
        reasonCode: 'no_associated_channel',
        recipient: 'ada@example.com',
      },
    ]);
  });
});
