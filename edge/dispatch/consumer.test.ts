import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, contacts, deliveries, runs } from '../../db/schema';
import {
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookReply,
} from '../../test/fakes/webhook-receiver';
import {
  publishWorkflow,
  readDeliveries,
  readRun,
  seedContact,
  seedCustomChannel,
  seedEmailChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitFor,
  waitForRun,
} from './test-seed';
import { type DispatchHarness, startDispatchHarness, startThroughApi } from './test-support';

/**
 * The dispatch pipeline in workerd: the Worker bundle consumes the real (Miniflare) queue,
 * sends to a local custom-channel endpoint that verifies signatures, and records in Postgres.
 */

let harness: DispatchHarness;
const receivers: WebhookReceiver[] = [];

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(WEBHOOK_SECRET);
  receivers.push(started);
  return started;
}

/** A workspace with one custom channel, and a contact who has an identity on it. */
async function customSetup(contactFields: { firstName?: string } = {}) {
  const endpoint = await receiver();
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
  const contactId = await seedContact(
    harness.db,
    workspaceId,
    { firstName: 'Grace', lastInteractedChannelId: channelId, ...contactFields },
    [{ channelId, address: `grace-${channelId.slice(0, 8)}` }],
  );
  return { endpoint, workspaceId, apiKey, channelId, contactId };
}

/**
 * A workspace with custom channels A and B, and a contact with an identity on each
 * (`<name>-on-a`, `<name>-on-b`) who last wrote in on B.
 */
async function twoChannelContact(firstName: string) {
  const a = await receiver();
  const b = await receiver();
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelA = await seedCustomChannel(harness, workspaceId, a.url);
  const channelB = await seedCustomChannel(harness, workspaceId, b.url);
  const name = firstName.toLowerCase();
  const contactId = await seedContact(
    harness.db,
    workspaceId,
    { firstName, lastInteractedChannelId: channelB },
    [
      { channelId: channelA, address: `${name}-on-a` },
      { channelId: channelB, address: `${name}-on-b` },
    ],
  );
  return { a, b, workspaceId, apiKey, channelA, channelB, contactId };
}

beforeAll(async () => {
  harness = await startDispatchHarness();
});

afterAll(async () => {
  await harness?.close();
  await Promise.all(receivers.map((r) => r.close()));
});

describe('sending', () => {
  it('startWorkflow through GraphQL enqueues the run, the message arrives signed, the run completes', async () => {
    const { endpoint, apiKey, channelId, contactId, workspaceId } = await customSetup();
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'Hello $contact.firstname, use $trigger.coupon' },
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId], {
      coupon: 'SPRING',
    });
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'completed', exitReason: null });
    expect(run.endedAt).toBeInstanceOf(Date);
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({
      status: 'sent',
      attempts: 1,
      channelId,
      providerMessageId: 'msg_1',
      contentSummary: 'Hello Grace, use SPRING',
    });
    expect(endpoint.requests).toHaveLength(1);
    const [request] = endpoint.requests;
    expect(request!.signatureError).toBeUndefined();
    expect(request!.idempotencyKey).toBe(delivery!.id);
    expect(request!.headers['webhook-id']).toBe(delivery!.id);
    expect(request!.json).toMatchObject({
      recipient: `grace-${channelId.slice(0, 8)}`,
      message: { kind: 'text', text: 'Hello Grace, use SPRING' },
    });
  });

  it('a second copy of an already-handled message sends nothing', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');

    // The queue redelivers the same message; then a barrier message for another run, which the
    // consumer can only reach after (or together with) the duplicate.
    await harness.enqueue({ runId, visit: 1 });
    const other = await seedContact(harness.db, workspaceId, { firstName: 'Barrier' }, [
      { channelId, address: 'barrier' },
    ]);
    const [barrierRun] = await startThroughApi(harness, apiKey, workflowId, [other]);
    await waitForRun(harness.db, barrierRun!, (r) => r.status === 'completed');

    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(endpoint.requests.filter((r) => r.idempotencyKey === delivery!.id)).toHaveLength(1);
    expect(delivery!.attempts).toBe(1);
  });

  it('a delivery already sent is not sent again even when its run is still on that step', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');
    // Put the run back on the step, as if it had never been moved after the send was recorded.
    await harness.db
      .update(runs)
      .set({ status: 'active', currentStepId: stepIds.hello!, stepVisit: 1, endedAt: null })
      .where(eq(runs.id, runId!));

    await harness.enqueue({ runId, visit: 1 });
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    expect(endpoint.requests).toHaveLength(1);
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('failures', () => {
  it('retries transient failures (503 with Retry-After) and then succeeds', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    endpoint.respondWith(
      (_request, index): WebhookReply =>
        index < 2
          ? { status: 503, headers: { 'retry-after': '1' }, body: 'busy' }
          : { status: 200, body: '{"id":"ok-3"}' },
    );
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active', 30_000);
    expect(run.status).toBe('completed');
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({
      status: 'sent',
      attempts: 3,
      providerMessageId: 'ok-3',
      reasonCode: null,
    });
    expect(endpoint.requests).toHaveLength(3);
    expect(new Set(endpoint.requests.map((r) => r.idempotencyKey))).toEqual(
      new Set([delivery!.id]),
    );
  });

  it('records the last transient reason on the delivery while it waits for its retry', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    endpoint.respondWith(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const delivery = await waitFor(async () => {
      const [row] = await readDeliveries(harness.db, runId!);
      return row?.status === 'queued' ? row : undefined;
    });
    expect(delivery).toMatchObject({ attempts: 1, reasonCode: 'rate_limited' });
    const run = await readRun(harness.db, runId!);
    expect(run.status).toBe('active');
    // The claim is released: the retry's message may claim it again.
    expect(run).toMatchObject({ leaseUntil: null, deliveryId: delivery!.id, deliveryAttempts: 1 });
    // The run is due when the provider said, and its retry message is stamped as on its way.
    expect(run.dueAt.getTime() - Date.now()).toBeGreaterThan(3500 * 1000 - 60_000);
    expect(run.enqueuedAt?.getTime()).toBe(run.dueAt.getTime());
  });

  it('a permanent rejection (400) takes the failure branch when the toggle is on', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    endpoint.respondWith((request) =>
      (request.json as { message: { text: string } }).message.text === 'first'
        ? { status: 400, body: 'bad recipient' }
        : { status: 200, body: '{"id":"fallback"}' },
    );
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'first',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'first' },
          failureBranchEnabled: true,
        }),
        next: 'after',
        failure: 'fallback',
      },
      {
        key: 'after',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'after' },
        }),
      },
      {
        key: 'fallback',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'fallback' },
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({
      status: 'completed',
      currentStepId: stepIds.fallback,
      stepVisit: 2,
    });
    const rows = await harness.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.runId, runId!))
      .orderBy(deliveries.visit);
    expect(rows.map((d) => [d.stepId, d.status, d.reasonCode, d.attempts])).toEqual([
      [stepIds.first, 'failed', 'rejected_by_provider', 1],
      [stepIds.fallback, 'sent', null, 1],
    ]);
    expect(rows[0]!.reasonDetail).toContain('HTTP 400');
    expect(
      endpoint.requests.map((r) => (r.json as { message: { text: string } }).message.text),
    ).toEqual(['first', 'fallback']);
  });

  it('a permanent rejection makes the run exit with the reason when the toggle is off', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    endpoint.respondWith(() => ({ status: 400, body: 'no' }));
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'first',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
        next: 'after',
      },
      {
        key: 'after',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({
      status: 'exited',
      exitReason: 'rejected_by_provider',
      currentStepId: stepIds.first,
    });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('an endpoint that answers 410 Gone puts the channel in error, and the next send stops before any request', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    endpoint.respondWith(() => ({ status: 410, body: 'gone' }));
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'only',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [first] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, first!, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'exited', exitReason: 'rejected_by_provider' });
    const [channel] = await harness.db
      .select({ status: channels.status, statusDetail: channels.statusDetail })
      .from(channels)
      .where(eq(channels.id, channelId));
    expect(channel?.status).toBe('error');
    expect(channel?.statusDetail).toMatch(/^Sending failed, the channel cannot send: .*410/);
    expect(endpoint.requests).toHaveLength(1);

    // Standard Webhooks: the sender stops. The next run fails at once, with no request made.
    const [second] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    await waitForRun(harness.db, second!, (r) => r.status !== 'active');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('a contact with no identity on the channel fails with no_associated_channel and no request is made', async () => {
    const endpoint = await receiver();
    const { workspaceId, apiKey } = await seedWorkspace(harness.db);
    const custom = await seedCustomChannel(harness, workspaceId, endpoint.url);
    // Port 9 (discard): any connection attempt would fail the run differently.
    const email = await seedEmailChannel(harness, workspaceId, { host: '127.0.0.1', port: 9 });
    const neverWrote = await seedContact(harness.db, workspaceId, { email: null });
    const noAddress = await seedContact(harness.db, workspaceId, { email: null }, [
      { channelId: custom, address: 'has-custom-only' },
    ]);
    const lastInteracted = await publishWorkflow(harness.db, workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const specificEmail = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId: email } }),
      },
    ]);
    const [first] = await startThroughApi(harness, apiKey, lastInteracted.workflowId, [neverWrote]);
    const [second] = await startThroughApi(harness, apiKey, specificEmail.workflowId, [noAddress]);
    for (const runId of [first!, second!]) {
      const run = await waitForRun(harness.db, runId, (r) => r.status !== 'active');
      expect(run).toMatchObject({ status: 'exited', exitReason: 'no_associated_channel' });
      const [delivery] = await readDeliveries(harness.db, runId);
      expect(delivery).toMatchObject({
        status: 'failed',
        reasonCode: 'no_associated_channel',
        attempts: 1,
      });
    }
    const [emailDelivery] = await readDeliveries(harness.db, second!);
    expect(emailDelivery!.channelId).toBeNull();
    expect(emailDelivery!.reasonDetail).toMatch(/e-mail address/);
    expect(endpoint.requests).toHaveLength(0);
  });
});

describe('resolution', () => {
  it("last-interacted resolution sends that channel's response rather than the default message", async () => {
    const { a, b, workspaceId, apiKey, channelA, channelB, contactId } =
      await twoChannelContact('Lin');
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'last_interacted' },
          defaultMessage: { type: 'text', text: 'default for $contact.firstname' },
          channelResponses: [
            { channelId: channelA, content: { type: 'text', text: 'for A' } },
            { channelId: channelB, content: { type: 'text', text: 'for B, $contact.firstname' } },
          ],
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');
    expect(a.requests).toHaveLength(0);
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]!.json).toMatchObject({
      recipient: 'lin-on-b',
      channel: { id: channelB },
      message: { kind: 'text', text: 'for B, Lin' },
    });
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ channelId: channelB, contentSummary: 'for B, Lin' });
  });

  it('a retry of a last-interacted send goes where its attempt went, though the contact wrote in elsewhere meanwhile', async () => {
    const { a, b, workspaceId, apiKey, channelA, channelB, contactId } =
      await twoChannelContact('Mo');
    // B's first answer leaves the outcome open (a 503): the message may have reached Mo there.
    b.respondWith((_request, index) =>
      index === 0
        ? { status: 503, headers: { 'retry-after': '2' }, body: 'busy' }
        : { status: 200, body: '{"id":"on-b"}' },
    );
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'last_interacted' } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    await waitFor(async () => (b.requests.length > 0 ? true : undefined));
    // Mo writes in on A before the retry.
    await harness.db
      .update(contacts)
      .set({ lastInteractedChannelId: channelA })
      .where(eq(contacts.id, contactId));
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active', 30_000);
    expect(run.status).toBe('completed');
    expect(a.requests).toHaveLength(0);
    expect(b.requests).toHaveLength(2);
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 2, channelId: channelB });
    expect(new Set(b.requests.map((request) => request.idempotencyKey))).toEqual(
      new Set([delivery!.id]),
    );
  });
});

describe('waits', () => {
  it('a wait step delays the next send, then the run continues', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'one',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'one' },
        }),
        next: 'pause',
      },
      { key: 'pause', type: 'wait', config: { seconds: 2 }, next: 'two' },
      {
        key: 'two',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'two' },
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const atWait = await waitForRun(harness.db, runId!, (r) => r.stepVisit === 2);
    expect(atWait.dueAt.getTime() - Date.now()).toBeGreaterThan(500);
    const sentFirst = Date.now();
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'completed', stepVisit: 3 });
    expect(Date.now() - sentFirst).toBeGreaterThanOrEqual(1000);
    expect(
      endpoint.requests.map((r) => (r.json as { message: { text: string } }).message.text),
    ).toEqual(['one', 'two']);
  });

  it('a message that arrives before its wait is over is chained with the remaining delay', async () => {
    const { endpoint, workspaceId, channelId, contactId, apiKey } = await customSetup();
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      { key: 'pause', type: 'wait', config: { seconds: 3 }, next: 'two' },
      {
        key: 'two',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const started = await readRun(harness.db, runId!);
    expect(started.currentStepId).toBe(stepIds.pause);
    // As if the queue's delay ran out early (a wait longer than the 12 h a message can carry).
    await harness.enqueue({ runId, visit: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await readRun(harness.db, runId!)).stepVisit).toBe(1);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    expect(Date.now()).toBeGreaterThanOrEqual(started.dueAt.getTime() - 1000);
    expect(endpoint.requests).toHaveLength(1);
  });
});
