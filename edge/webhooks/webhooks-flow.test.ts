import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../test/fakes/webhook-receiver';
import {
  publishWorkflow,
  seedContact,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitFor,
} from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';

/**
 * Partner webhooks end to end in workerd: the real Worker with its queues (the webhook queue
 * included) and the EventHub, real sends to a custom channel's endpoint producing the events,
 * endpoints created through GraphQL, and a partner receiver verifying every message with the
 * `standardwebhooks` reference library.
 */

let harness: DispatchHarness;
let channelEndpoint: WebhookReceiver;
let partner: WebhookReceiver;

beforeAll(async () => {
  channelEndpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  // The receiver's own check is not used here: the reference library verifies below.
  partner = await startWebhookReceiver('whsec_AAAA');
  harness = await startDispatchHarness({ webhooks: true });
});

afterAll(async () => {
  await harness?.close();
  await channelEndpoint?.close();
  await partner?.close();
});

const CREATE = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on MutationCreateWebhookEndpointSuccess { data { secret endpoint { id } } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const MESSAGES = /* GraphQL */ `
  query ($endpointId: ID!) {
    webhookMessages(filter: { endpointId: $endpointId }, first: 100) {
      totalCount
      nodes { id eventType status attemptCount attempts { nodes { statusCode succeeded latencyMs } } }
    }
  }
`;
const REPLAY = /* GraphQL */ `
  mutation ($id: ID!) {
    replayWebhookMessage(id: $id) { __typename ... on MutationReplayWebhookMessageSuccess { data { id } } }
  }
`;

/** A workspace with a one-step workflow on a custom channel and `count` contacts. */
async function workspace(count: number) {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedCustomChannel(harness, workspaceId, channelEndpoint.url);
  const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'hello',
      type: 'send_message',
      config: sendConfig({
        channel: { kind: 'specific', channelId },
        defaultMessage: { type: 'text', text: 'Hello $contact.firstname' },
      }),
    },
  ]);
  const contactIds: string[] = [];
  for (let index = 0; index < count; index++) {
    contactIds.push(
      await seedContact(harness.db, workspaceId, { firstName: `W${index}` }, [
        { channelId, address: `w${index}-${channelId.slice(0, 8)}` },
      ]),
    );
  }
  return { workspaceId, apiKey, workflowId, contactIds };
}

async function createEndpoint(apiKey: string, path: string, eventTypes?: string[]) {
  const result = await harness.gql(apiKey, CREATE, {
    input: { url: `${partner.url}/${path}`, ...(eventTypes ? { eventTypes } : {}) },
  });
  const payload = result.data?.createWebhookEndpoint;
  if (payload?.__typename !== 'MutationCreateWebhookEndpointSuccess') {
    throw new Error(`createWebhookEndpoint failed: ${JSON.stringify(result)}`);
  }
  return { id: payload.data.endpoint.id as string, secret: payload.data.secret as string };
}

const at = (path: string) => (request: ReceivedWebhook) => request.path.endsWith(`/${path}`);

/** run.started, delivery.queued, delivery.sent, run.completed per one-step send. */
const EVENTS_PER_SEND = 4;

describe('partner webhooks in workerd', () => {
  it('delivers every matching event of real sends, signed, once per endpoint, and nothing to another workspace', async () => {
    partner.respondWith(() => ({ status: 200, body: 'ok' }));
    const mine = await workspace(3);
    const other = await workspace(1);
    const all = await createEndpoint(mine.apiKey, 'all');
    const sent = await createEndpoint(mine.apiKey, 'sent', ['DELIVERY_SENT']);
    await createEndpoint(other.apiKey, 'other');

    await startThroughApi(harness, mine.apiKey, mine.workflowId, mine.contactIds);
    const total = 3 * EVENTS_PER_SEND;
    await waitFor(
      async () =>
        partner.requests.filter(at('all')).length >= total &&
        partner.requests.filter(at('sent')).length >= 3,
      { what: 'webhooks', timeoutMs: 30_000 },
    );
    // A moment for anything that would arrive twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const received = partner.requests.filter(at('all'));
    expect(received).toHaveLength(total);
    const payloads = received.map(
      (request) =>
        new Webhook(all.secret).verify(request.body, request.headers as Record<string, string>) as {
          type: string;
          cursor: string;
        },
    );
    for (const payload of payloads.filter((p) => p.type === 'run.completed')) {
      expect((payload as unknown as { data: { run: object } }).data.run).toMatchObject({
        id: expect.any(String),
        workflowId: mine.workflowId,
        contactId: expect.toBeOneOf(mine.contactIds),
        status: 'completed',
      });
    }
    expect(payloads.map((payload) => Number(payload.cursor)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, index) => index + 1),
    );
    const ids = received.map((request) => request.headers['webhook-id']);
    expect(new Set(ids).size).toBe(total);

    const onlySent = partner.requests.filter(at('sent'));
    expect(onlySent).toHaveLength(3);
    for (const request of onlySent) {
      const payload = new Webhook(sent.secret).verify(
        request.body,
        request.headers as Record<string, string>,
      ) as { type: string; data: { delivery: Record<string, unknown> } };
      expect(payload.type).toBe('delivery.sent');
      // Whole, though the log stores the fields its columns hold once (db/event-log.ts,
      // loggedData): the delivery with its run, workflow, contact and channel.
      expect(payload.data.delivery).toMatchObject({
        id: expect.any(String),
        runId: expect.any(String),
        workflowId: mine.workflowId,
        contactId: expect.toBeOneOf(mine.contactIds),
        channelId: expect.any(String),
        status: 'sent',
        visit: 1,
      });
      expect(() =>
        new Webhook(all.secret).verify(request.body, request.headers as Record<string, string>),
      ).toThrow();
    }
    expect(partner.requests.filter(at('other'))).toEqual([]);

    const listed = await harness.gql(mine.apiKey, MESSAGES, { endpointId: all.id });
    expect(listed.data.webhookMessages.totalCount).toBe(total);
    expect(
      new Set(listed.data.webhookMessages.nodes.map((node: { id: string }) => node.id)),
    ).toEqual(new Set(ids));
    for (const node of listed.data.webhookMessages.nodes) {
      expect(node).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
      expect(node.attempts.nodes).toEqual([
        expect.objectContaining({ statusCode: 200, succeeded: true }),
      ]);
    }
    // Another workspace's key sees none of them.
    const stranger = await harness.gql(other.apiKey, MESSAGES, { endpointId: all.id });
    expect(stranger.data.webhookMessages.totalCount).toBe(0);
  });

  it('retries a failed attempt after 5 s from the queue, and replays with the same webhook-id', async () => {
    let failures = 1;
    partner.respondWith((request) => {
      if (
        request.path.endsWith('/retry') &&
        (request.json as { type?: string } | undefined)?.type === 'run.started' &&
        failures > 0
      ) {
        failures--;
        return { status: 500, body: 'try later' };
      }
      return { status: 200 };
    });
    const { apiKey, workflowId, contactIds } = await workspace(1);
    const endpoint = await createEndpoint(apiKey, 'retry', ['RUN_STARTED']);
    const started = Date.now();
    await startThroughApi(harness, apiKey, workflowId, contactIds);
    const [first, second] = await waitFor(
      async () => {
        const requests = partner.requests.filter(at('retry'));
        return requests.length >= 2 ? requests : undefined;
      },
      { what: 'the retry', timeoutMs: 30_000 },
    );
    expect(first!.headers['webhook-id']).toBe(second!.headers['webhook-id']);
    const firstAt = Number(first!.headers['webhook-timestamp']);
    const secondAt = Number(second!.headers['webhook-timestamp']);
    expect(secondAt - firstAt).toBeGreaterThanOrEqual(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
    new Webhook(endpoint.secret).verify(second!.body, second!.headers as Record<string, string>);

    // The partner has the second POST; its consumer records it just after (the answer first).
    const message = await waitFor(
      async () => {
        const listed = await harness.gql(apiKey, MESSAGES, { endpointId: endpoint.id });
        const [node] = listed.data.webhookMessages.nodes;
        return node?.status === 'DELIVERING' ? undefined : node;
      },
      { what: 'the retry recorded', timeoutMs: 10_000 },
    );
    expect(message).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });
    expect(message.attempts.nodes.map((node: { statusCode: number }) => node.statusCode)).toEqual([
      500, 200,
    ]);

    const replayed = await harness.gql(apiKey, REPLAY, { id: message.id });
    expect(replayed.data.replayWebhookMessage.data.id).toBe(message.id);
    const third = await waitFor(async () => partner.requests.filter(at('retry'))[2], {
      what: 'the replay',
    });
    expect(third.headers['webhook-id']).toBe(message.id);
    expect(third.body).toBe(first!.body);
  });
});
