import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
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
