import { randomUUID } from 'node:crypto';
import type { DurableObjectNamespace } from '@cloudflare/workers-types/latest';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { channelPacer } from '../pacing/client';
import type { SendWork } from './attempt';
import type { ClaimedDelivery } from './claim';
import type { DispatchChannel, DispatchLibrary } from './library';
import { dispatchQueueBody, parseDispatchMessage } from './message';
import { paceSends } from './pace';
import {
  publishWorkflow,
  readDeliveries,
  seedContact,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitForRun,
} from './test-seed';
import { type DispatchHarness, startDispatchHarness, startThroughApi } from './test-support';

/**
 * Send pacing in workerd: the real ChannelPacer Durable Object and the real queue. A channel
 * whose rate is set sends no faster than it, across batches, and every message still goes out
 * exactly once, each on its first attempt (a wait for the pace spends none).
 */

let harness: DispatchHarness;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  // Two shards: their consumers share each channel's pace only through its ChannelPacer.
  harness = await startDispatchHarness({ maxBatchSize: 100, dispatchShards: 2 });
});

afterAll(async () => {
  await harness?.close();
  await Promise.all(receivers.map((r) => r.close()));
});

/** A workspace with a custom channel at `rate` messages/s (null: unpaced), and `count` contacts. */
async function pacedSetup(rate: number | null, count: number) {
  const endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  receivers.push(endpoint);
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  await harness.db
    .update(channels)
    .set({ maxMessagesPerSecond: rate })
    .where(eq(channels.id, channelId));
  const contactIds: string[] = [];
  for (let i = 0; i < count; i++) {
    contactIds.push(
      await seedContact(harness.db, workspaceId, { firstName: `C${i}` }, [
        { channelId, address: `c${i}-${channelId.slice(0, 8)}` },
      ]),
    );
  }
  const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'hello',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  return { endpoint, apiKey, workflowId, contactIds };
}

/** Most requests `endpoint` received within any one second. */
function busiestSecond(endpoint: WebhookReceiver): number {
  const times = endpoint.requests.map((request) => request.receivedAt).sort((a, b) => a - b);
  let most = 0;
  for (const [i, start] of times.entries()) {
    let inWindow = 0;
    for (let j = i; j < times.length && times[j]! < start + 1000; j++) inWindow++;
    most = Math.max(most, inWindow);
  }
  return most;
}

describe('a channel with a rate', () => {
  it('sends 12 messages at 3 per second: spread over seconds, each once, each on its first attempt', async () => {
    const { endpoint, apiKey, workflowId, contactIds } = await pacedSetup(3, 12);
    // No slot is before the runs start (the pacer's clock is this machine's).
    const startedAtMs = Date.now();
    const runIds = await startThroughApi(harness, apiKey, workflowId, contactIds);
    for (const runId of runIds) {
      const run = await waitForRun(harness.db, runId, (r) => r.status !== 'active', 30_000);
      expect(run.status).toBe('completed');
      const [delivery] = await readDeliveries(harness.db, runId);
      expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
    }
    const times = endpoint.requests.map((request) => request.receivedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    expect(new Set(endpoint.requests.map((request) => request.idempotencyKey)).size).toBe(12);
    // Slots a third of a second apart: the 12th 3.67 s after the first, not sooner. Counted
    // from the runs' start, not from the first arrival: a send goes at its slot or later, and
    // the first one (its batch's first provider call, on a loaded machine) can arrive later
    // after its slot than the 12th does after its own, so the arrivals alone may span less.
    expect(times.at(-1)! - startedAtMs).toBeGreaterThanOrEqual(11 * (1000 / 3));
    // Sent at their slots, 3 in a second; a send the queue brings back late (Miniflare runs one
    // batch per queue at a time, and a batch waits for its slots) goes at once, beside the next
    // slots' sends: one or two more in that second, never the 12 an unpaced batch sends at once.
    expect(busiestSecond(endpoint)).toBeLessThanOrEqual(5);
  });

  it('without a rate of its own or of its integration, the same batch goes at once', async () => {
    const { endpoint, apiKey, workflowId, contactIds } = await pacedSetup(null, 12);
    const runIds = await startThroughApi(harness, apiKey, workflowId, contactIds);
    for (const runId of runIds) {
      await waitForRun(harness.db, runId, (r) => r.status !== 'active', 30_000);
    }
    expect(endpoint.requests).toHaveLength(12);
    expect(busiestSecond(endpoint)).toBe(12);
  });
});

/**
 * paceSends itself, in Node against the Worker's real ChannelPacer objects (Miniflare's
 * namespace): which sends ask, which go in the batch and when, which wait on the queue.
 */
describe('paceSends', () => {
  const workspaceId = randomUUID();

  function channel(fields: Partial<DispatchChannel> = {}): DispatchChannel {
    return {
      id: randomUUID(),
      workspaceId,
      type: 'custom',
      provider: 'webhook',
      name: 'paced',
      settings: {},
      credentialsCiphertext: null,
      status: 'connected',
      maxMessagesPerSecond: 2,
      ...fields,
    };
  }

  function libraryOf(...list: DispatchChannel[]): DispatchLibrary {
    return {
      channels: new Map(list.map((c) => [c.id, c])),
      snippets: new Map(),
      files: new Map(),
      threads: new Map(),
    };
  }

  /** A claimed send on `channelId` (attempt `attempts`), holding `slot` if given. */
  function send(
    channelId: string,
    options: {
      attempts?: number;
      slot?: { attempt: number; atMs: number; perSecond?: number };
    } = {},
  ) {
    const runId = randomUUID();
    const work = {
      message: { id: runId },
      run: { id: runId, workspaceId, stepVisit: 1, contact: { lastInteractedChannelId: null } },
      step: { config: { channel: { kind: 'specific', channelId } } },
      ...(options.slot ? { slot: options.slot } : {}),
    } as unknown as SendWork;
    const claim = { id: randomUUID(), runId, attempts: options.attempts ?? 1 } as ClaimedDelivery;
    return { work, claim };
  }

  async function pacer() {
    const namespace = await harness.worker.mf.getDurableObjectNamespace('CHANNEL_PACER');
    return channelPacer(namespace as unknown as DurableObjectNamespace);
  }

  it('sends at slots one interval apart: those within 2 s in this batch, the others on the queue', async () => {
    const paced = channel();
    const sends = Array.from({ length: 6 }, () => send(paced.id));
    // The namespace first: `nowMs` is the consumer's clock when it asks the pacer.
    const client = await pacer();
    const nowMs = Date.now();
    const { now, deferred } = await paceSends(sends, libraryOf(paced), client, nowMs);
    const answeredAtMs = Date.now();
    const first = now[0]!.notBeforeMs;
    // The pacer's clock when it answered (a new object starts first): the channel's first slot.
    // (A new object's first answer can take over a second on a loaded machine.)
    expect(first).toBeGreaterThanOrEqual(nowMs);
    expect(first).toBeLessThanOrEqual(answeredAtMs);
    // 2 a second: slots 0, 0.5, 1 … 2.5 s after the first; those within 2 s of the answer (the
    // first slot is the pacer's clock then) go in this batch.
    expect(now.map((s) => [s.send, s.notBeforeMs - first])).toEqual([
      [sends[0], 0],
      [sends[1], 500],
      [sends[2], 1000],
      [sends[3], 1500],
      [sends[4], 2000],
    ]);
    // Due back a second before its slot, in whole seconds (the queue's batch timeout): its slot
    // is 2 to 2.5 s after the answer, so in 1 s.
    expect(deferred.map((d) => [d.send, d.slotAtMs! - first, d.delaySeconds])).toEqual([
      [sends[5], 2500, 1],
    ]);
  });

  it('sends the attempt a message holds a slot for at its slot without asking; a later attempt asks again', async () => {
    const paced = channel({ maxMessagesPerSecond: 1 });
    const client = await pacer();
    const first = await paceSends([send(paced.id)], libraryOf(paced), client, Date.now());
    const firstSlot = first.now[0]!.notBeforeMs;
    const nowMs = Date.now();
    const holding = send(paced.id, { attempts: 1, slot: { attempt: 1, atMs: nowMs + 300 } });
    const early = send(paced.id, { attempts: 1, slot: { attempt: 1, atMs: nowMs + 5_400 } });
    const retried = send(paced.id, { attempts: 2, slot: { attempt: 1, atMs: nowMs + 200 } });
    const { now, deferred } = await paceSends(
      [holding, early, retried],
      libraryOf(paced),
      client,
      nowMs,
    );
    // The held slot is kept; the retry got the channel's next slot, a second after the first.
    expect(now.map((s) => [s.send, s.notBeforeMs])).toEqual([
      [holding, nowMs + 300],
      [retried, firstSlot + 1000],
    ]);
    // A message back more than 2 s early goes back to the queue with the same slot.
    expect(deferred.map((d) => [d.send, d.delaySeconds, d.slotAtMs])).toEqual([
      [early, 4, nowMs + 5_400],
    ]);
    // Only the retry took a slot: the next is two seconds after the first.
    const next = await paceSends([send(paced.id)], libraryOf(paced), client, Date.now());
    expect(next.now.map((s) => s.notBeforeMs)).toEqual([firstSlot + 2000]);
  });

  it("asks again for a slot reserved at a rate the channel no longer has; a held slot's send to a gone channel does not wait", async () => {
    const paced = channel({ maxMessagesPerSecond: 1 });
    const client = await pacer();
    const nowMs = Date.now();
    const later = nowMs + 5_400;
    const sameRate = send(paced.id, { slot: { attempt: 1, atMs: later, perSecond: 1 } });
    const oldRate = send(paced.id, { slot: { attempt: 1, atMs: later, perSecond: 80 } });
    const gone = send(randomUUID(), { slot: { attempt: 1, atMs: later, perSecond: 1 } });
    const { now, deferred } = await paceSends(
      [sameRate, oldRate, gone],
      libraryOf(paced),
      client,
      nowMs,
    );
    // The slot spaced at 80/s is not the channel's 1/s: it asked, and the idle pacer's first
    // slot is now. The send to a gone channel fails at once instead of waiting 5 s to fail.
    expect(now.map((s) => s.send)).toEqual([gone, oldRate]);
    expect(now[1]!.notBeforeMs - nowMs).toBeLessThan(1000);
    // The slot at the channel's rate is kept, and goes back on the queue naming that rate.
    expect(deferred.map((d) => [d.send, d.delaySeconds, d.slotAtMs, d.perSecond])).toEqual([
      [sameRate, 4, later, 1],
    ]);
  });

  it('a rate changed mid-campaign holds from then on: raised, new sends are not stuck behind the old line', async () => {
    const paced = channel({ maxMessagesPerSecond: 1 });
    const client = await pacer();
    const campaign = Array.from({ length: 100 }, () => send(paced.id));
    const first = await paceSends(campaign, libraryOf(paced), client, Date.now());
    // 100 slots a second apart: the last one ~99 s on, each deferred naming the rate.
    expect(first.deferred.at(-1)!.slotAtMs! - first.now[0]!.notBeforeMs).toBe(99_000);
    expect(first.deferred.every((d) => d.perSecond === 1)).toBe(true);
    // Its user raises the rate to 50/s: the next batch starts within 2 s (after the old slots
    // that batches under way send), not 100 s on.
    const raised = { ...paced, maxMessagesPerSecond: 50 };
    const nowMs = Date.now();
    const next = await paceSends(
      Array.from({ length: 5 }, () => send(paced.id)),
      libraryOf(raised),
      client,
      nowMs,
    );
    const slots = [...next.now.map((s) => s.notBeforeMs), ...next.deferred.map((d) => d.slotAtMs!)];
    expect(slots[0]! - nowMs).toBeGreaterThanOrEqual(2_000);
    expect(slots[0]! - nowMs).toBeLessThan(4_000);
    expect(slots[4]! - slots[0]!).toBeCloseTo(80);
    // A deferred send of the old line, back (early, as the queue brings it), asks again at
    // 50/s: it gets the slot after those, not its old one 99 s on.
    const back = first.deferred.at(-1)!;
    const returned = send(paced.id, {
      slot: { attempt: 1, atMs: back.slotAtMs!, perSecond: back.perSecond },
    });
    const againAtMs = Date.now();
    const again = await paceSends([returned], libraryOf(raised), client, againAtMs);
    const slot = again.now[0]?.notBeforeMs ?? again.deferred[0]!.slotAtMs!;
    expect(slot).toBeGreaterThanOrEqual(slots[4]! + 20);
    expect(slot - againAtMs).toBeLessThan(4_000);
  });

  it('a slot goes on the queue with the rate it was reserved at and comes back with it', () => {
    const runId = randomUUID();
    const slot = { attempt: 2, atMs: 1_800_000_000_500, perSecond: 80 };
    expect(parseDispatchMessage(dispatchQueueBody({ runId, visit: 3, slot }))).toEqual({
      runId,
      visit: 3,
      slot,
    });
    // A message enqueued before slots named their rate keeps its slot (it was the rate then).
    const older = { attempt: 2, atMs: 1_800_000_000_500 };
    expect(parseDispatchMessage({ v: 1, runId, visit: 3, slot: older })?.slot).toEqual(older);
    // A rate that is not one is left off: the slot is kept as such a message's.
    for (const perSecond of [0, 1.5, '80', null]) {
      expect(
        parseDispatchMessage({ v: 1, runId, visit: 3, slot: { ...older, perSecond } })?.slot,
      ).toEqual(older);
    }
  });

  it('asks nothing for channels without a rate, gone, disconnected or of another workspace', async () => {
    const unpaced = channel({ type: 'email', provider: 'smtp', maxMessagesPerSecond: null });
    const disconnected = channel({ status: 'disconnected', maxMessagesPerSecond: 1 });
    const foreign = channel({ workspaceId: randomUUID(), maxMessagesPerSecond: 1 });
    const sends = [
      ...Array.from({ length: 3 }, () => send(unpaced.id)),
      ...Array.from({ length: 3 }, () => send(disconnected.id)),
      ...Array.from({ length: 3 }, () => send(foreign.id)),
      ...Array.from({ length: 3 }, () => send(randomUUID())),
    ];
    const library = libraryOf(unpaced, disconnected, foreign);
    const { now, deferred } = await paceSends(sends, library, await pacer(), Date.now());
    expect(now.map((s) => s.notBeforeMs)).toEqual(Array(12).fill(0));
    expect(deferred).toEqual([]);
  });

  it("takes an integration's documented rate when the channel sets none (WhatsApp: 80/s)", async () => {
    const whatsapp = channel({ type: 'whatsapp', provider: 'meta', maxMessagesPerSecond: null });
    const client = await pacer();
    const batch = () => Array.from({ length: 100 }, () => send(whatsapp.id));
    const first = await paceSends(batch(), libraryOf(whatsapp), client, Date.now());
    // 100 slots 12.5 ms apart: 1.24 s, all within this batch's 2 s.
    expect(first.now).toHaveLength(100);
    const start = first.now[0]!.notBeforeMs;
    expect(first.now.at(-1)!.notBeforeMs - start).toBeCloseTo(1237.5);
    // The next 100 continue from there; those past 2 s from now wait on the queue.
    const second = await paceSends(batch(), libraryOf(whatsapp), client, Date.now());
    const slots = [
      ...second.now.map((s) => s.notBeforeMs),
      ...second.deferred.map((d) => d.slotAtMs!),
    ];
    expect(slots[0]! - start).toBeCloseTo(1250);
    expect(slots.at(-1)! - start).toBeCloseTo(2487.5);
    expect(second.deferred.length).toBeGreaterThan(0);
  });

  it("counts a slot's wait from when the pacer answered: a slow answer does not push due sends onto the queue", async () => {
    const paced = channel({ maxMessagesPerSecond: 2 });
    let answeredAtMs = 0;
    const slow = {
      async reserve(_channelId: string, count: number) {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        answeredAtMs = Date.now();
        const slotsAtMs = Array.from({ length: count }, (_, i) => answeredAtMs + i * 500);
        return { slotsAtMs, reserved: count };
      },
    };
    const sends = Array.from({ length: 6 }, () => send(paced.id));
    const nowMs = Date.now();
    const { now, deferred } = await paceSends(sends, libraryOf(paced), slow, nowMs);
    // Slots 0 … 2 s after the answer go in this batch, whatever the answer took.
    expect(now.map((s) => s.notBeforeMs - answeredAtMs)).toEqual([0, 500, 1000, 1500, 2000]);
    // The 2.5 s slot's message is due back a whole second before it, counted from the answer
    // (counted from the ask, it would come back 1.5 s later: after its slot).
    expect(deferred.map((d) => [d.slotAtMs! - answeredAtMs, d.delaySeconds])).toEqual([[2500, 1]]);
  });

  it('lets the sends go unpaced when the pacer does not answer in time, without waiting for it', async () => {
    const paced = channel({ maxMessagesPerSecond: 1 });
    const silent = { reserve: () => new Promise<never>(() => {}) };
    const sends = Array.from({ length: 3 }, () => send(paced.id));
    const startedAtMs = Date.now();
    const { now, deferred } = await paceSends(sends, libraryOf(paced), silent, startedAtMs, 300);
    expect(Date.now() - startedAtMs).toBeLessThan(2_000);
    expect(now.map((s) => s.notBeforeMs)).toEqual([0, 0, 0]);
    expect(deferred).toEqual([]);
  });

  it('lets the sends go unpaced when the pacer cannot be reached', async () => {
    const paced = channel({ maxMessagesPerSecond: 1 });
    const unreachable = channelPacer({
      idFromName: (name: string) => name,
      get: () => ({
        fetch: () => Promise.reject(new Error('Durable Object unavailable')),
      }),
    } as unknown as DurableObjectNamespace);
    const sends = Array.from({ length: 3 }, () => send(paced.id));
    const { now, deferred } = await paceSends(sends, libraryOf(paced), unreachable, Date.now());
    expect(now.map((s) => s.notBeforeMs)).toEqual([0, 0, 0]);
    expect(deferred).toEqual([]);
  });
});
