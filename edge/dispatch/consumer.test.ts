import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  type DispatchHarness,
  publishWorkflow,
  readDeliveries,
  seedContact,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
  startDispatchHarness,
  startThroughApi,
  WEBHOOK_SECRET,
  waitForRun,
} from './test-support';

let harness: DispatchHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver(WEBHOOK_SECRET);
  harness = await startDispatchHarness();
});

afterAll(async () => {
  await harness?.close();
  await receiver?.close();
});

describe('dispatch through the Worker and its queue', () => {
  it('startWorkflow through GraphQL sends the message and completes the run', async () => {
    const { workspaceId, apiKey } = await seedWorkspace(harness.db);
    const channelId = await seedCustomChannel(harness, workspaceId, receiver.url);
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Grace' }, [
      { channelId, address: 'grace-1' },
    ]);
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 1, channelId });
    const received = receiver.requests.filter((r) => r.idempotencyKey === delivery!.id);
    expect(received).toHaveLength(1);
    expect(received[0]!.signatureError).toBeUndefined();
    expect(received[0]!.json).toMatchObject({
      recipient: 'grace-1',
      message: { kind: 'text', text: 'Hello Grace' },
    });
  });
});
