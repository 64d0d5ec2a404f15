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
    // The first second's burst (3), then 3 a second: the 12th no sooner than 3 s after the first.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(2_900);
    // Queue delays are whole seconds: a second's slots go together, never more than the rate
    // and the burst in any one second.
    expect(busiestSecond(endpoint)).toBeLessThanOrEqual(6);
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
 * namespace): which sends ask, which go now, which wait and with what slot.
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

  /** A claimed send on `channelId` (attempt `attempts`), holding a slot for attempt `paced`. */
  function send(channelId: string, options: { attempts?: number; paced?: number } = {}) {
    const runId = randomUUID();
    const work = {
      message: { id: runId },
      run: { id: runId, workspaceId, stepVisit: 1, contact: { lastInteractedChannelId: null } },
      step: { config: { channel: { kind: 'specific', channelId } } },
      ...(options.paced ? { paced: options.paced } : {}),
    } as unknown as SendWork;
    const claim = { id: randomUUID(), runId, attempts: options.attempts ?? 1 } as ClaimedDelivery;
    return { work, claim };
  }

  async function pacer() {
    const namespace = await harness.worker.mf.getDurableObjectNamespace('CHANNEL_PACER');
    return channelPacer(namespace as unknown as DurableObjectNamespace);
  }

  it('lets a second of the rate go now and gives the rest their slots, one second apart per rate', async () => {
    const paced = channel();
    const sends = Array.from({ length: 5 }, () => send(paced.id));
    const { now, deferred } = await paceSends(sends, libraryOf(paced), await pacer());
    expect(now).toEqual(sends.slice(0, 2));
    // Slots 500 ms apart after the burst of 2: 0.5, 1 and 1.5 s away, in whole queue seconds.
    expect(deferred.map((d) => [d.send, d.delaySeconds, d.reserved])).toEqual([
      [sends[2], 1, true],
      [sends[3], 1, true],
      [sends[4], 2, true],
    ]);
  });

  it('sends the attempt a message holds a slot for without asking; a later attempt asks again', async () => {
    const paced = channel({ maxMessagesPerSecond: 1 });
    const client = await pacer();
    // The channel's burst (one message) is spent first.
    expect((await paceSends([send(paced.id)], libraryOf(paced), client)).now).toHaveLength(1);
    const holding = send(paced.id, { attempts: 1, paced: 1 });
    const retried = send(paced.id, { attempts: 2, paced: 1 });
    const { now, deferred } = await paceSends([holding, retried], libraryOf(paced), client);
    expect(now).toEqual([holding]);
    expect(deferred.map((d) => d.send)).toEqual([retried]);
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
    const { now, deferred } = await paceSends(sends, library, await pacer());
    expect(now).toHaveLength(12);
    expect(deferred).toEqual([]);
  });

  it("takes an integration's documented rate when the channel sets none (Telegram: 30/s)", async () => {
    const telegram = channel({
      type: 'telegram',
      provider: 'telegram',
      maxMessagesPerSecond: null,
    });
    const sends = Array.from({ length: 40 }, () => send(telegram.id));
    const { now, deferred } = await paceSends(sends, libraryOf(telegram), await pacer());
    expect(now).toHaveLength(30);
    expect(deferred).toHaveLength(10);
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
    const { now, deferred } = await paceSends(sends, libraryOf(paced), unreachable);
    expect(now).toHaveLength(3);
    expect(deferred).toEqual([]);
  });
});
