import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { channels, runs } from '../../db/schema';
import { claimDeliveries } from './claim';
import { recordAndMove } from './record';
import type { DeliveryOutcome, RunMove } from './record-input';
import { useNodeDispatch } from './test-node-dispatch';
import {
  consumeRuns,
  readDeliveries,
  readRun,
  recordingPublisher,
  seedRunsAtCustomSend,
} from './test-seed';

/**
 * One statement records a whole batch's outcomes, so nothing about one send may make it fail:
 * the batch's sends would stay unrecorded and be sent again when their leases expire. Texts
 * travel as JSON (the content summary cut from the message, what the provider answered), and
 * Postgres's jsonb refuses a lone UTF-16 surrogate and `\u0000`; a channel may be deleted
 * while a send on it is in flight. Runs in Node (the custom adapter is plain fetch) against
 * the test Postgres.
 */

const node = useNodeDispatch();
const { db, pool, cipher } = node;

/** Two runs (contacts One and Two) at a one-step workflow sending `text`, in one workspace. */
async function twoRuns(text: string): Promise<string[]> {
  return (await seedRunsAtCustomSend({ db, cipher }, node.endpoint.url, ['One', 'Two'], { text }))
    .runIds;
}

describe('a channel deleted during the send', () => {
  it('records the send without the channel, and the rest of the batch (another workspace) as sent', async () => {
    const [doomed] = await twoRuns('Hello $contact.firstname');
    const [bystander] = await twoRuns('Hello $contact.firstname');
    const [doomedRun] = await db.select().from(runs).where(eq(runs.id, doomed!));
    const [channel] = await db
      .select({ id: channels.id })
      .from(channels)
      .where(eq(channels.workspaceId, doomedRun!.workspaceId));
    let deleted: Promise<unknown> | undefined;
    node.endpoint.respondWith((request, index) => {
      const body = request.json as { channel: { id: string } };
      if (body.channel.id === channel!.id) {
        deleted = pool.query('delete from channels where id = $1', [channel!.id]);
      }
      return { status: 200, body: JSON.stringify({ id: `msg_${index + 1}` }), delayMs: 300 };
    });
    const recorder = recordingPublisher(db);
    try {
      await consumeRuns({ db, cipher }, [doomed!, bystander!], recorder.events);
    } finally {
      node.endpoint.respondWith((_request, index) => ({
        status: 200,
        body: JSON.stringify({ id: `msg_${index + 1}` }),
      }));
    }
    await deleted;
    expect(await readDeliveries(db, doomed!)).toMatchObject([
      { status: 'sent', attempts: 1, channelId: null },
    ]);
    expect((await readRun(db, doomed!)).status).toBe('completed');
    expect(await readDeliveries(db, bystander!)).toMatchObject([{ status: 'sent', attempts: 1 }]);
    expect((await readRun(db, bystander!)).status).toBe('completed');
    // Each workspace's events as published are what its log replays; the doomed send's event
    // still names the channel it went out on (the row records none).
    for (const runId of [doomed!, bystander!]) {
      const { published, replayed } = await recorder.compared(
        (await readRun(db, runId)).workspaceId,
      );
      expect(replayed.map((e) => e.event.type)).toEqual([
        'delivery.queued',
        'delivery.sent',
        'run.completed',
      ]);
      expect(published).toEqual(replayed);
    }
    const doomedEvents = await recorder.compared(doomedRun!.workspaceId);
    expect(doomedEvents.replayed[1]!.refs.channelId).toBe(channel!.id);
  });
});

describe('a channel deleted after its sends', () => {
  it("leaves their deliveries with no channel, and another channel's deliveries as they were", async () => {
    const doomed = await twoRuns('Hello');
    const [bystander] = await twoRuns('Hello');
    await consumeRuns({ db, cipher }, [...doomed, bystander!]);
    const [delivery] = await readDeliveries(db, doomed[0]!);
    expect(delivery!.channelId).not.toBeNull();
    await db.delete(channels).where(eq(channels.id, delivery!.channelId!));
    for (const runId of doomed) {
      expect(await readDeliveries(db, runId)).toMatchObject([{ status: 'sent', channelId: null }]);
      expect((await readRun(db, runId)).status).toBe('completed');
    }
    const [kept] = await readDeliveries(db, bystander!);
    expect(kept!.channelId).not.toBeNull();
    expect(kept!.channelId).not.toBe(delivery!.channelId);
  });
});

describe('recording texts Postgres JSON cannot hold as written', () => {
  it('a summary cut in the middle of an emoji is recorded, and so is the rest of the batch', async () => {
    // The summary keeps 159 characters: a cut by UTF-16 units would split the emoji.
    const runIds = await twoRuns(`${'a'.repeat(158)}😀 and more text after the cut`);
    await consumeRuns({ db, cipher }, runIds);
    for (const runId of runIds) {
      expect((await readRun(db, runId)).status).toBe('completed');
      const [delivery] = await readDeliveries(db, runId);
      expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
      expect(delivery!.contentSummary!.startsWith('a'.repeat(158))).toBe(true);
      const summary = delivery!.contentSummary!;
      expect(Buffer.from(summary, 'utf8').toString('utf8')).toBe(summary);
    }
  });

  it('a provider answer with a NUL character is recorded, and so is the rest of the batch, and its events are published as the log replays them', async () => {
    const runIds = await twoRuns('Hello $contact.firstname');
    const recorder = recordingPublisher(db);
    node.endpoint.respondWith((request) =>
      (request.json as { contact: { firstName: string } }).contact.firstName === 'One'
        ? { status: 200, body: JSON.stringify({ id: 'msg\u0000one' }) }
        : { status: 400, body: 'bad\u0000request' },
    );
    try {
      await consumeRuns({ db, cipher }, runIds, recorder.events);
    } finally {
      node.endpoint.respondWith((_request, index) => ({
        status: 200,
        body: JSON.stringify({ id: `msg_${index + 1}` }),
      }));
    }
    const [sent] = await readDeliveries(db, runIds[0]!);
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: 'msgone' });
    expect((await readRun(db, runIds[0]!)).status).toBe('completed');
    const [failed] = await readDeliveries(db, runIds[1]!);
    expect(failed).toMatchObject({
      status: 'failed',
      reasonCode: 'rejected_by_provider',
      reasonDetail: 'endpoint answered HTTP 400: badrequest',
    });
    expect((await readRun(db, runIds[1]!)).status).toBe('exited');
    // The record statement builds the stored events from its rows; the consumer publishes the
    // ones it planned (record-events.ts): the two must be the same events, field for field.
    const { published, replayed } = await recorder.compared(
      (await readRun(db, runIds[0]!)).workspaceId,
    );
    expect(replayed.map((event) => [event.refs.runId, event.event.type])).toEqual([
      [runIds[0], 'delivery.queued'],
      [runIds[0], 'delivery.sent'],
      [runIds[1], 'delivery.queued'],
      [runIds[1], 'delivery.failed'],
      [runIds[0], 'run.completed'],
      [runIds[1], 'run.exited'],
    ]);
    expect(replayed[3]!.event.data).toMatchObject({
      delivery: {
        status: 'failed',
        reason: {
          code: 'rejected_by_provider',
          detail: 'endpoint answered HTTP 400: badrequest',
        },
      },
    });
    expect(replayed[5]!.event.data).toMatchObject({
      run: { status: 'exited', exitReason: expect.any(String) },
    });
    expect(published).toEqual(replayed);
  });
});

describe('a run cancelled after its batch was loaded', () => {
  it('is neither claimed nor given a delivery, so nothing is sent for it', async () => {
    const [cancelled, active] = await twoRuns('Hello');
    const keys = await Promise.all(
      [cancelled!, active!].map(async (runId) => {
        const run = await readRun(db, runId);
        return { workspaceId: run.workspaceId, runId, stepId: run.currentStepId!, visit: 1 };
      }),
    );
    // cancelRun commits between the consumer's load and its claim.
    await db
      .update(runs)
      .set({ status: 'exited', exitReason: 'cancelled' })
      .where(eq(runs.id, cancelled!));
    const claims = await claimDeliveries(db, keys);
    expect(claims.map((claim) => [claim.runId, claim.claimed])).toEqual([[active!, true]]);
    expect(await readDeliveries(db, cancelled!)).toEqual([]);
  });
});

describe('the partner events of a delivery across its attempts', () => {
  it('logs delivery.queued once, with the first attempt, and publishes what the log replays', async () => {
    const [runId] = await twoRuns('Hello');
    const recorder = recordingPublisher(db);
    node.endpoint.respondWith(() => ({ status: 503, body: 'busy' }));
    try {
      await consumeRuns({ db, cipher }, [runId!], recorder.events);
    } finally {
      node.endpoint.respondWith((_request, index) => ({
        status: 200,
        body: JSON.stringify({ id: `msg_${index + 1}` }),
      }));
    }
    const [waiting] = await readDeliveries(db, runId!);
    expect(waiting).toMatchObject({
      status: 'queued',
      attempts: 1,
      reasonCode: 'network',
    });
    // The retry comes due; the second attempt updates the same delivery.
    await db.update(runs).set({ dueAt: new Date() }).where(eq(runs.id, runId!));
    await consumeRuns({ db, cipher }, [runId!], recorder.events);
    const [sent] = await readDeliveries(db, runId!);
    expect(sent).toMatchObject({ id: waiting!.id, status: 'sent', attempts: 2 });
    // Created as of its first claim, before the record that wrote it; a retry keeps that.
    expect(waiting!.createdAt.getTime()).toBeLessThan(waiting!.updatedAt.getTime());
    expect(sent!.createdAt).toEqual(waiting!.createdAt);

    const run = await readRun(db, runId!);
    const { published, replayed } = await recorder.compared(run.workspaceId, runId);
    expect(replayed.map((event) => event.event.type)).toEqual([
      'delivery.queued',
      'delivery.sent',
      'run.completed',
    ]);
    expect(replayed[0]!.event.data).toMatchObject({
      delivery: { id: waiting!.id, status: 'queued', channelId: null, reason: null },
    });
    expect(replayed[1]!.event.data).toMatchObject({
      delivery: { id: waiting!.id, status: 'sent', providerMessageId: sent!.providerMessageId },
    });
    expect(published).toEqual(replayed);
  });
});

describe('a batch larger than one log row holds', () => {
  it('is refused with a clear error before anything is recorded or moved', async () => {
    const [runId] = await twoRuns('Hello');
    const before = await readRun(db, runId!);
    const move: RunMove = {
      runId: runId!,
      workspaceId: before.workspaceId,
      workflowId: before.workflowId,
      contactId: before.contactId,
      fromVisit: before.stepVisit,
      fromStepId: before.currentStepId,
      afterDeliveryId: null,
      status: 'exited',
      stepId: null,
      visit: before.stepVisit + 1,
      dueInSeconds: 0,
      exitReason: 'cancelled',
      alreadyEnqueued: false,
    };
    // Up to 2 events per outcome and 1 per move: 500 outcomes and a move could log 1,001.
    const outcome = (index: number): DeliveryOutcome => ({
      deliveryId: crypto.randomUUID(),
      attempts: 1,
      claimedAtMs: null,
      status: 'sent',
      channelId: null,
      recipient: null,
      reasonCode: null,
      reasonDetail: null,
      providerMessageId: `msg_${index}`,
      contentSummary: null,
      messageIdHeader: null,
      segments: null,
      thread: null,
    });
    const tooMany = Array.from({ length: 500 }, (_, index) => outcome(index));
    await expect(recordAndMove(db, tooMany, [move])).rejects.toThrow(
      /at most 1000 events in one statement: got 500 outcomes and 1 moves/,
    );
    expect(await readRun(db, runId!)).toEqual(before);
    // Within the bound (333 outcomes and a move: 667), the same move applies; the outcomes,
    // whose deliveries no run claimed, are not recorded.
    await recordAndMove(db, tooMany.slice(0, 333), [move]);
    expect(await readRun(db, runId!)).toMatchObject({ status: 'exited', exitReason: 'cancelled' });
  });
});
