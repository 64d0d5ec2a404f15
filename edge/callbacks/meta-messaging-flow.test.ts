import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, contactIdentities, contacts, inboundMessages } from '../../db/schema';
import { graphError, type MetaGraph, startMetaGraph } from '../../test/fakes/meta-graph';
import {
  messagingDelivery,
  messagingText,
  messagingWebhook,
  postMetaWebhook,
  type WebhookSigning,
} from '../../test/fakes/meta-webhooks';
import {
  MESSENGER_GRAPH_PAGE,
  MESSENGER_TEST_PAGE,
} from '../channels/messenger-meta/test-fixtures';
import { TEST_GRAPH_VERSION, WHATSAPP_TEST_IDS } from '../channels/whatsapp-meta/test-fixtures';
import {
  publishWorkflow,
  readDeliveries,
  seedContact,
  sendConfig,
  waitFor,
  waitForRun,
} from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import {
  connectChannel,
  quietPeriod,
  textOnChannel,
  waitForDelivery,
  waitForInboundContact,
  workerFetch,
} from './test-flow';

/**
 * Messenger and Instagram end to end in workerd: channels connected through GraphQL against the
 * Graph stand-in (a Page with its linked Instagram account), webhooks signed as Meta signs them
 * posted to the Worker's callback routes, and dispatch sending and routing runs.
 */

let harness: DispatchHarness;
let graph: MetaGraph;

beforeAll(async () => {
  graph = await startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    pages: [MESSENGER_GRAPH_PAGE],
  });
  harness = await startDispatchHarness({
    bindings: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
  });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await graph?.close();
});

const PAGE_CREDENTIALS = {
  pageAccessToken: MESSENGER_TEST_PAGE.pageAccessToken,
  appSecret: MESSENGER_TEST_PAGE.appSecret,
};

/** A workspace with a Messenger or Instagram channel connected through GraphQL. */
function connect(type: 'MESSENGER' | 'INSTAGRAM') {
  const input =
    type === 'MESSENGER'
      ? {
          type,
          name: 'Coffee Messenger',
          settings: { messenger: { pageId: MESSENGER_TEST_PAGE.pageId } },
          credentials: { messenger: PAGE_CREDENTIALS },
        }
      : {
          type,
          name: 'Coffee Instagram',
          settings: {
            instagram: {
              instagramAccountId: MESSENGER_TEST_PAGE.instagramAccountId,
              pageId: MESSENGER_TEST_PAGE.pageId,
            },
          },
          credentials: { instagram: PAGE_CREDENTIALS },
        };
  return connectChannel(harness, input);
}

function postWebhook(
  callbackUrl: string,
  payload: Record<string, unknown>,
  signing: WebhookSigning = 'valid',
) {
  return postMetaWebhook(
    callbackUrl,
    payload,
    MESSENGER_TEST_PAGE.appSecret,
    signing,
    workerFetch(harness),
  );
}

/** Distinct scoped ids per test, so that contacts never collide across tests. */
let nextId = 0;
function scopedId(): string {
  nextId += 1;
  return `90000000${String(1000 + nextId)}`;
}

function sendsTo(recipient: string) {
  return graph
    .sends()
    .filter((request) => (request.json?.recipient as { id?: string })?.id === recipient);
}

describe('Messenger', () => {
  it('connects by reading the Page with its token', async () => {
    const { channel } = await connect('MESSENGER');
    expect(channel).toMatchObject({
      type: 'MESSENGER',
      provider: 'META',
      status: 'CONNECTED',
      statusDetail: 'Verified: Page Sendflow Coffee',
      callback: { url: `http://worker.test/callbacks/meta/${channel.id}` },
    });
  });

  it("answers Meta's handshake, and a person writing to the Page becomes a contact known by PSID with Messenger as last interacted channel", async () => {
    const { workspaceId, channel } = await connect('MESSENGER');
    const handshake = await harness.worker.dispatchFetch(
      `${channel.callback.url}?hub.mode=subscribe&hub.verify_token=${channel.callback.verifyToken}&hub.challenge=31337`,
    );
    expect([handshake.status, await handshake.text()]).toEqual([200, '31337']);
    const psid = scopedId();
    const page = MESSENGER_TEST_PAGE.pageId;
    const response = await postWebhook(
      channel.callback.url,
      messagingWebhook('page', page, [messagingText(psid, page, `m_in.${psid}`, '¿Abren hoy? ☕')]),
    );
    expect(response.status).toBe(200);
    const { contact } = await waitForInboundContact(harness.db, channel.id, psid);
    expect(contact).toMatchObject({ workspaceId, lastInteractedChannelId: channel.id });
    // Meta signs (and sends) the body with its non-ASCII text as \u escapes: the signature
    // holds over those bytes, and the text is recorded as written.
    const [message] = await harness.db
      .select({ content: inboundMessages.content })
      .from(inboundMessages)
      .where(eq(inboundMessages.providerMessageId, `m_in.${psid}`));
    expect(message?.content).toEqual({ type: 'text', text: '¿Abren hoy? ☕' });
  });

  it('outside the window a free-form message fails without calling Meta and the failure branch sends a tagged message with MESSAGE_TAG', async () => {
    const { workspaceId, apiKey, channel } = await connect('MESSENGER');
    const psid = scopedId();
    const contactId = await seedContact(
      harness.db,
      workspaceId,
      { firstName: 'Ada', lastInteractedChannelId: channel.id },
      [
        {
          channelId: channel.id,
          address: psid,
          lastInboundAt: new Date(Date.now() - 25 * 3_600_000),
        },
      ],
    );
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'freeform',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId: channel.id },
          defaultMessage: { type: 'text', text: 'Still there, $contact.firstname?' },
          failureBranchEnabled: true,
        }),
        failure: 'tagged',
      },
      {
        key: 'tagged',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId: channel.id },
          defaultMessage: { type: 'text', text: 'unused' },
          channelResponses: [
            {
              channelId: channel.id,
              content: {
                type: 'messenger_tagged',
                tag: 'POST_PURCHASE_UPDATE',
                text: 'Your order shipped, $contact.firstname',
              },
            },
          ],
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'completed', currentStepId: stepIds.tagged });
    const byStep = new Map((await readDeliveries(harness.db, runId!)).map((d) => [d.stepId, d]));
    expect(byStep.get(stepIds.freeform!)).toMatchObject({
      status: 'failed',
      reasonCode: 'messaging_window_closed',
      providerMessageId: null,
    });
    expect(byStep.get(stepIds.tagged!)).toMatchObject({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^m_/),
    });
    expect(sendsTo(psid).map((request) => request.json)).toEqual([
      {
        recipient: { id: psid },
        messaging_type: 'MESSAGE_TAG',
        tag: 'POST_PURCHASE_UPDATE',
        message: { text: 'Your order shipped, Ada' },
      },
    ]);
    // Send API reference: the Page's own `/PAGE-ID/messages` endpoint.
    expect(sendsTo(psid).map((request) => request.path)).toEqual([
      `/${TEST_GRAPH_VERSION}/${MESSENGER_TEST_PAGE.pageId}/messages`,
    ]);
  });

  it('a delivery watermark marks what was sent to that person by then as delivered', async () => {
    const { workspaceId, apiKey, channel } = await connect('MESSENGER');
    const psid = scopedId();
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Ada' }, [
      { channelId: channel.id, address: psid, lastInboundAt: new Date(Date.now() - 3_600_000) },
    ]);
    const { workflowId } = await textOnChannel(harness.db, workspaceId, channel.id, 'Hello');
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const sent = await waitFor(async () => {
      const [row] = await readDeliveries(harness.db, runId!);
      return row?.status === 'sent' && row.sentAt ? row : undefined;
    });
    const response = await postWebhook(
      channel.callback.url,
      messagingWebhook('page', MESSENGER_TEST_PAGE.pageId, [
        messagingDelivery(
          psid,
          MESSENGER_TEST_PAGE.pageId,
          new Date(sent.sentAt!.getTime() + 1_000),
        ),
      ]),
    );
    expect(response.status).toBe(200);
    const delivered = await waitForDelivery(
      harness.db,
      sent.id,
      (row) => row.providerStatus === 'delivered',
    );
    expect(delivered.deliveredAt).toBeInstanceOf(Date);
  });
});

describe('credentials refused while sending', () => {
  it('puts the channel in error with Meta’s words, and the next send stops without a call', async () => {
    const { workspaceId, apiKey, channel } = await connect('MESSENGER');
    const psid = scopedId();
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Ada' }, [
      { channelId: channel.id, address: psid, lastInboundAt: new Date(Date.now() - 3_600_000) },
    ]);
    const { workflowId } = await textOnChannel(harness.db, workspaceId, channel.id, 'Hello');
    graph.replyNext(
      graphError(401, 190, 'Error validating access token: The session has been invalidated', {
        subcode: 460,
      }),
    );
    const [first] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    expect(await waitForRun(harness.db, first!, (r) => r.status !== 'active')).toMatchObject({
      status: 'exited',
    });
    const [row] = await harness.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row).toMatchObject({
      status: 'error',
      statusDetail: expect.stringMatching(/refused the credentials: .*error 190\/460/),
    });
    const calls = graph.sends().length;
    const [second] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    await waitForRun(harness.db, second!, (r) => r.status !== 'active');
    const [delivery] = await readDeliveries(harness.db, second!);
    expect(delivery).toMatchObject({ status: 'failed', reasonCode: 'channel_not_connected' });
    expect(graph.sends()).toHaveLength(calls);
  });
});

describe('Instagram', () => {
  it('a person writing in on Instagram makes it their last interacted channel, and a Last Interacted step answers there', async () => {
    const { workspaceId, apiKey, channel } = await connect('INSTAGRAM');
    expect(channel).toMatchObject({
      type: 'INSTAGRAM',
      status: 'CONNECTED',
      statusDetail: 'Verified: @sendflow.coffee',
    });
    const igsid = scopedId();
    const account = MESSENGER_TEST_PAGE.instagramAccountId;
    const inbound = messagingWebhook('instagram', account, [
      messagingText(igsid, account, `ig.in.${igsid}`, 'Do you have oat milk?'),
    ]);
    expect((await postWebhook(channel.callback.url, inbound)).status).toBe(200);
    // Meta retries a webhook it thinks failed: the replay has no second effect.
    expect((await postWebhook(channel.callback.url, inbound)).status).toBe(200);
    const { identity, contact } = await waitForInboundContact(harness.db, channel.id, igsid);
    expect(contact).toMatchObject({ workspaceId, lastInteractedChannelId: channel.id });
    await quietPeriod();
    expect(
      await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id)),
    ).toBe(1);
    expect(await harness.db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(1);

    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'answer',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'last_interacted' },
          defaultMessage: { type: 'text', text: 'Default answer' },
          channelResponses: [
            { channelId: channel.id, content: { type: 'text', text: 'Yes, on Instagram!' } },
          ],
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [identity.contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    expect(sendsTo(igsid).map((request) => request.json)).toEqual([
      { recipient: { id: igsid }, message: { text: 'Yes, on Instagram!' } },
    ]);
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', channelId: channel.id });
  });

  it('a forged or unsigned Instagram webhook is refused and records nothing', async () => {
    const { channel } = await connect('INSTAGRAM');
    const igsid = scopedId();
    const account = MESSENGER_TEST_PAGE.instagramAccountId;
    const payload = messagingWebhook('instagram', account, [
      messagingText(igsid, account, `ig.forged.${igsid}`, 'hi'),
    ]);
    expect((await postWebhook(channel.callback.url, payload, 'forged')).status).toBe(403);
    expect((await postWebhook(channel.callback.url, payload, 'missing')).status).toBe(401);
    await quietPeriod();
    expect(await harness.db.$count(contactIdentities, eq(contactIdentities.address, igsid))).toBe(
      0,
    );
  });
});
