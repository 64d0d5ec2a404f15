import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactIdentities, contacts, inboundMessages } from '../../db/schema';
import { type GraphTemplate, type MetaGraph, startMetaGraph } from '../../test/fakes/meta-graph';
import {
  inboundText,
  inboundTextFromUsername,
  messageStatus,
  postMetaWebhook,
  userChangedUserId,
  type WebhookSigning,
  whatsappWebhook,
} from '../../test/fakes/meta-webhooks';
import type { SendMessageConfig } from '../../workflow/types';
import {
  documentHeaderTemplate,
  documentHeaderTemplateBody,
  TEST_GRAPH_VERSION,
  WHATSAPP_TEST_IDS,
} from '../channels/whatsapp-meta/test-fixtures';
import {
  publishWorkflow,
  readDeliveries,
  readRun,
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
  contactThroughApi,
  createContactThroughApi,
  notifyWithFallback,
  quietPeriod,
  readDelivery,
  textOnChannel,
  waitForAcceptedSend,
  waitForDelivery,
  workerFetch,
} from './test-flow';

/**
 * WhatsApp end to end in workerd: channels connected through GraphQL against the Graph
 * stand-in, webhooks signed as Meta signs them posted to the Worker's callback route, the
 * callbacks queue recording them, and dispatch sending and routing runs.
 */

const TEMPLATES: GraphTemplate[] = [
  {
    name: 'order_update',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} shipped.' }],
  },
  {
    name: 'welcome_back',
    language: 'en',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Welcome back!' }],
  },
  documentHeaderTemplate('ticket_pdf', 'Here is your ticket, {{1}}.'),
];

let harness: DispatchHarness;
let graph: MetaGraph;

beforeAll(async () => {
  graph = await startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    templates: TEMPLATES,
  });
  harness = await startDispatchHarness({
    bindings: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
  });
});

afterAll(async () => {
  await harness?.close();
  await graph?.close();
});

/** A workspace with a WhatsApp channel connected through GraphQL (verified by the stand-in). */
function connectWhatsApp() {
  return connectChannel(
    harness,
    {
      type: 'WHATSAPP',
      name: 'Support WhatsApp',
      settings: {
        whatsapp: {
          phoneNumberId: WHATSAPP_TEST_IDS.phoneNumberId,
          businessAccountId: WHATSAPP_TEST_IDS.businessAccountId,
        },
      },
      credentials: {
        whatsapp: {
          accessToken: WHATSAPP_TEST_IDS.accessToken,
          appSecret: WHATSAPP_TEST_IDS.appSecret,
        },
      },
    },
    `id type provider status statusDetail callback { url verifyToken }
     templates { name language status bodyParameters }`,
  );
}

/** Posts a webhook to the channel's callback URL through the Worker, signed as asked. */
function postWebhook(
  callbackUrl: string,
  value: Record<string, unknown>,
  signing: WebhookSigning = 'valid',
) {
  return postMetaWebhook(
    callbackUrl,
    whatsappWebhook(WHATSAPP_TEST_IDS, value),
    WHATSAPP_TEST_IDS.appSecret,
    signing,
    workerFetch(harness),
  );
}

/** Distinct phone numbers per test, so that contacts never collide across tests. */
let nextPhone = 0;
function phone(): { waId: string; e164: string } {
  nextPhone += 1;
  const waId = `1650555${String(1000 + nextPhone).padStart(4, '0')}`;
  return { waId, e164: `+${waId}` };
}

function sendsTo(e164: string) {
  return graph.sends().filter((request) => request.json?.to === e164);
}

describe('connecting', () => {
  it('verifies the credentials, lists the templates and shows the callback URL and verify token', async () => {
    const { channel } = await connectWhatsApp();
    expect(channel).toMatchObject({
      type: 'WHATSAPP',
      provider: 'META',
      status: 'CONNECTED',
      statusDetail: 'Verified: Sendflow Test (+1 555-010-0000)',
      callback: {
        url: `http://worker.test/callbacks/meta/${channel.id}`,
        verifyToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      },
      templates: [
        { name: 'order_update', language: 'en_US', status: 'APPROVED', bodyParameters: 2 },
        { name: 'welcome_back', language: 'en', status: 'APPROVED', bodyParameters: 0 },
        { name: 'ticket_pdf', language: 'en', status: 'APPROVED', bodyParameters: 1 },
      ],
    });
  });

  it("answers Meta's handshake with the channel's verify token only", async () => {
    const { channel } = await connectWhatsApp();
    const handshake = (token: string) =>
      harness.worker.dispatchFetch(
        `${channel.callback.url}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=8675309`,
      );
    const ok = await handshake(channel.callback.verifyToken);
    expect([ok.status, await ok.text()]).toEqual([200, '8675309']);
    expect((await handshake('wrong-token')).status).toBe(403);
  });
});

describe('inbound messages', () => {
  it('a contact writing in is created with that identity, the channel becomes their last interacted, and a Last Interacted step answers there', async () => {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    const sender = phone();
    const response = await postWebhook(
      channel.callback.url,
      inboundText(
        { waId: sender.waId, name: 'Sheena Nelson' },
        `wamid.in.${sender.waId}`,
        'Hi there',
      ),
    );
    expect(response.status).toBe(200);
    const contact = await waitFor(
      async () => {
        const [row] = await harness.db
          .select()
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.phone, sender.e164)));
        return row?.lastInteractedChannelId ? row : undefined;
      },
      { what: 'the contact from the inbound message' },
    );
    expect(contact).toMatchObject({
      firstName: 'Sheena',
      lastName: 'Nelson',
      lastInteractedChannelId: channel.id,
    });
    const [identity] = await harness.db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.contactId, contact.id));
    expect(identity).toMatchObject({ channelId: channel.id, address: sender.e164 });
    expect(identity?.lastInboundAt).toBeInstanceOf(Date);

    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'answer',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'last_interacted' },
          defaultMessage: { type: 'text', text: 'Default for $contact.firstname' },
          channelResponses: [
            {
              channelId: channel.id,
              content: { type: 'text', text: 'On WhatsApp, $contact.firstname!' },
            },
          ],
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contact.id]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const [sent] = sendsTo(sender.e164);
    expect(sent?.json?.text).toEqual({ preview_url: false, body: 'On WhatsApp, Sheena!' });
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', channelId: channel.id });
    expect(delivery?.providerMessageId).toMatch(/^wamid\./);
  });

  it('a username user without a phone is created with their business-scoped user ID as identity, their window opens, and a Last Interacted step answers them by `recipient`', async () => {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    nextPhone += 1;
    const bsuid = `US.1349120865530274${String(1000 + nextPhone).padStart(4, '0')}`;
    const response = await postWebhook(
      channel.callback.url,
      inboundTextFromUsername(
        { userId: bsuid, username: 'sheena.n', name: 'Sheena Nelson' },
        `wamid.in.${bsuid}`,
        'Hi from my username',
      ),
    );
    expect(response.status).toBe(200);
    const identity = await waitFor(
      async () => {
        const [row] = await harness.db
          .select()
          .from(contactIdentities)
          .where(
            and(eq(contactIdentities.channelId, channel.id), eq(contactIdentities.address, bsuid)),
          );
        return row?.lastInboundAt ? row : undefined;
      },
      { what: 'the identity from the BSUID-only message' },
    );
    const [contact] = await harness.db
      .select()
      .from(contacts)
      .where(eq(contacts.id, identity.contactId));
    expect(contact).toMatchObject({
      workspaceId,
      firstName: 'Sheena',
      lastName: 'Nelson',
      phone: null,
      lastInteractedChannelId: channel.id,
    });
    const [message] = await harness.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerMessageId, `wamid.in.${bsuid}`));
    expect(message).toMatchObject({ contactId: identity.contactId, channelId: channel.id });

    // Free-form text: only possible because the message opened the 24-hour window.
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'answer',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'last_interacted' },
          defaultMessage: { type: 'text', text: 'Hello $contact.firstname' },
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [identity.contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const sent = graph.sends().filter((request) => request.json?.recipient === bsuid);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.json).not.toHaveProperty('to');
    expect(sent[0]?.json?.text).toEqual({ preview_url: false, body: 'Hello Sheena' });
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', channelId: channel.id });
  });

  it('a username user first known by their business-scoped user ID who later writes with their phone is the same contact, not a twin', async () => {
    const { workspaceId, channel } = await connectWhatsApp();
    nextPhone += 1;
    const bsuid = `US.2481730591287364${String(1000 + nextPhone).padStart(4, '0')}`;
    const sender = phone();
    // Phone withheld, then shared again (the user left their username, or is in the business's
    // contact book): Meta names the BSUID in both ("Business-scoped user IDs").
    await postWebhook(
      channel.callback.url,
      inboundTextFromUsername(
        { userId: bsuid, username: 'sheena.n', name: 'Sheena Nelson' },
        `wamid.in.${bsuid}.1`,
        'Hi from my username',
      ),
    );
    await postWebhook(
      channel.callback.url,
      inboundText(
        { waId: sender.waId, name: 'Sheena Nelson', userId: bsuid },
        `wamid.in.${bsuid}.2`,
        'Hi again, with my number',
      ),
    );
    const messages = await waitFor(
      async () => {
        const rows = await harness.db
          .select()
          .from(inboundMessages)
          .where(eq(inboundMessages.channelId, channel.id));
        return rows.length === 2 ? rows : undefined;
      },
      { what: 'both messages recorded' },
    );
    const people = await harness.db
      .select()
      .from(contacts)
      .where(eq(contacts.workspaceId, workspaceId));
    expect(people).toHaveLength(1);
    expect(messages.map((message) => message.contactId)).toEqual([people[0]!.id, people[0]!.id]);
  });

  it('a callback Meta delivers twice has one effect', async () => {
    const { workspaceId, channel } = await connectWhatsApp();
    const sender = phone();
    const value = inboundText(
      { waId: sender.waId, name: 'Ada' },
      `wamid.dup.${sender.waId}`,
      'Hello?',
    );
    expect((await postWebhook(channel.callback.url, value)).status).toBe(200);
    expect((await postWebhook(channel.callback.url, value)).status).toBe(200);
    // A later, different message proves both copies were processed before we count.
    await postWebhook(
      channel.callback.url,
      inboundText({ waId: sender.waId, name: 'Ada' }, `wamid.after.${sender.waId}`, 'Anyone?'),
    );
    await waitFor(
      async () =>
        (await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id))) >= 2,
      { what: 'both messages' },
    );
    await quietPeriod();
    expect(
      await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id)),
    ).toBe(2);
    expect(
      await harness.db.$count(
        contacts,
        and(eq(contacts.workspaceId, workspaceId), eq(contacts.phone, sender.e164)),
      ),
    ).toBe(1);
  });

  it('a forged or unsigned callback is refused and changes nothing', async () => {
    const { channel } = await connectWhatsApp();
    const sender = phone();
    const value = inboundText(
      { waId: sender.waId, name: 'Mallory' },
      `wamid.forged.${sender.waId}`,
      'hi',
    );
    expect((await postWebhook(channel.callback.url, value, 'forged')).status).toBe(403);
    expect((await postWebhook(channel.callback.url, value, 'missing')).status).toBe(401);
    const unknown = channel.callback.url.replace(channel.id, crypto.randomUUID());
    expect((await postWebhook(unknown, value)).status).toBe(404);
    await quietPeriod();
    expect(
      await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id)),
    ).toBe(0);
    expect(await harness.db.$count(contacts, eq(contacts.phone, sender.e164))).toBe(0);
  });
});

/** A contact with a WhatsApp identity whose last inbound message is `hoursAgo` old. */
async function contactWrittenIn(workspaceId: string, channelId: string, hoursAgo: number) {
  const sender = phone();
  const contactId = await seedContact(
    harness.db,
    workspaceId,
    { firstName: 'Ada', phone: sender.e164, lastInteractedChannelId: channelId },
    [
      {
        channelId,
        address: sender.e164,
        lastInboundAt: new Date(Date.now() - hoursAgo * 3_600_000),
      },
    ],
  );
  return { contactId, e164: sender.e164 };
}

describe('the 24-hour window', () => {
  it('a free-form message 25 h after the last inbound fails messaging_window_closed without calling Meta and takes the failure branch, where a template is sent', async () => {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    const { contactId, e164 } = await contactWrittenIn(workspaceId, channel.id, 25);
    const template: SendMessageConfig = sendConfig({
      channel: { kind: 'specific', channelId: channel.id },
      defaultMessage: { type: 'text', text: 'unused' },
      channelResponses: [
        {
          channelId: channel.id,
          content: {
            type: 'whatsapp_template',
            templateName: 'order_update',
            languageCode: 'en_US',
            parameters: ['$contact.firstname', '#1042'],
          },
        },
      ],
    });
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'freeform',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId: channel.id },
          defaultMessage: { type: 'text', text: 'Still there, $contact.firstname?' },
          failureBranchEnabled: true,
        }),
        failure: 'template',
      },
      { key: 'template', type: 'send_message', config: template },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'completed', currentStepId: stepIds.template });
    const byStep = new Map((await readDeliveries(harness.db, runId!)).map((d) => [d.stepId, d]));
    expect(byStep.get(stepIds.freeform!)).toMatchObject({
      status: 'failed',
      reasonCode: 'messaging_window_closed',
      providerMessageId: null,
    });
    expect(byStep.get(stepIds.template!)).toMatchObject({ status: 'sent' });
    const sends = sendsTo(e164);
    expect(sends.map((request) => request.json?.type)).toEqual(['template']);
    expect(sends[0]?.json?.template).toMatchObject({
      name: 'order_update',
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ada' },
            { type: 'text', text: '#1042' },
          ],
        },
      ],
    });
  });
});

describe('statuses after acceptance', () => {
  /** A run at a WhatsApp step (optionally confirming delivery) that Meta has accepted. */
  async function acceptedSend(confirmMinutes: number | null) {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    const { contactId, e164 } = await contactWrittenIn(workspaceId, channel.id, 1);
    const { workflowId, stepIds } = await publishWorkflow(
      harness.db,
      workspaceId,
      notifyWithFallback(channel.id, 'Your order shipped', confirmMinutes, {
        defaultMessage: { type: 'text', text: 'fallback' },
        channelResponses: [
          {
            channelId: channel.id,
            content: {
              type: 'whatsapp_template',
              templateName: 'welcome_back',
              languageCode: 'en',
              parameters: [],
            },
          },
        ],
      }),
    );
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const delivery = await waitForAcceptedSend(harness.db, runId!);
    return { channel, runId: runId!, stepIds, e164, delivery };
  }

  it('with confirm delivery, the run waits at the step, and a failed status takes the failure branch with the reason recorded', async () => {
    const { channel, runId, stepIds, e164, delivery } = await acceptedSend(10);
    const waiting = await readRun(harness.db, runId);
    expect(waiting).toMatchObject({ status: 'active', currentStepId: stepIds.notify });
    expect(waiting.dueAt.getTime()).toBeGreaterThan(Date.now() + 8 * 60_000);

    const failed = messageStatus(
      'failed',
      { id: delivery.providerMessageId!, recipient: e164, deliveryId: delivery.id },
      new Date(),
      { code: 131026, title: 'Message undeliverable', details: 'Not a WhatsApp user' },
    );
    expect((await postWebhook(channel.callback.url, failed)).status).toBe(200);
    const run = await waitForRun(harness.db, runId, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'completed', currentStepId: stepIds.fallback });
    const recorded = await readDelivery(harness.db, delivery.id);
    expect(recorded).toMatchObject({
      status: 'failed',
      providerStatus: 'failed',
      reasonCode: 'recipient_unavailable',
      reasonDetail: expect.stringContaining('131026'),
    });
    expect(recorded?.sentAt).toBeInstanceOf(Date);
    expect(recorded?.failedAt).toBeInstanceOf(Date);
    expect(sendsTo(e164).map((request) => request.json?.type)).toEqual(['text', 'template']);
  });

  it('with confirm delivery, delivered moves the run on; read and replays afterwards change nothing', async () => {
    const { channel, runId, stepIds, e164, delivery } = await acceptedSend(10);
    const message = { id: delivery.providerMessageId!, recipient: e164 };
    await postWebhook(channel.callback.url, messageStatus('delivered', message));
    const run = await waitForRun(harness.db, runId, (r) => r.currentStepId === stepIds.thanks);
    expect(run.status).toBe('active');
    await postWebhook(channel.callback.url, messageStatus('read', message));
    await waitForDelivery(harness.db, delivery.id, (row) => row.providerStatus === 'read');
    const before = await readDelivery(harness.db, delivery.id);
    await postWebhook(channel.callback.url, messageStatus('delivered', message));
    await postWebhook(channel.callback.url, messageStatus('read', message));
    await quietPeriod();
    const after = await readDelivery(harness.db, delivery.id);
    expect(after).toEqual(before);
    expect(after).toMatchObject({ status: 'sent', providerStatus: 'read' });
    expect(after?.deliveredAt).toBeInstanceOf(Date);
    expect(after?.readAt).toBeInstanceOf(Date);
    expect((await readRun(harness.db, runId)).currentStepId).toBe(stepIds.thanks);
  });

  it('without confirm delivery, a later failure is recorded on the delivery and the run is not routed again', async () => {
    const { channel, runId, stepIds, e164, delivery } = await acceptedSend(null);
    expect((await readRun(harness.db, runId)).currentStepId).toBe(stepIds.thanks);
    await postWebhook(
      channel.callback.url,
      messageStatus('failed', { id: delivery.providerMessageId!, recipient: e164 }, new Date(), {
        code: 131047,
        title: 'Re-engagement message',
        details: 'More than 24 hours have passed',
      }),
    );
    const recorded = await waitForDelivery(
      harness.db,
      delivery.id,
      (row) => row.status === 'failed',
    );
    expect(recorded).toMatchObject({
      reasonCode: 'messaging_window_closed',
      providerStatus: 'failed',
    });
    expect(await readRun(harness.db, runId)).toMatchObject({
      status: 'active',
      currentStepId: stepIds.thanks,
    });
    expect(sendsTo(e164)).toHaveLength(1);
  });
});

describe('templates with a media header', () => {
  const STEP_WRITE = /* GraphQL */ `
    mutation ($input: AddSendMessageStepInput!) {
      addSendMessageStep(input: $input) {
        __typename
        ... on MutationAddSendMessageStepSuccess { data { id } }
        ... on ValidationError { issues { code path } }
      }
    }
  `;

  /** Saves, through the API, a step answering on WhatsApp with `ticket_pdf` and `headerMedia`. */
  async function ticketStep(apiKey: string, channelId: string, headerMedia?: object) {
    const workflow = await harness.gql(
      apiKey,
      `mutation { createWorkflow(input: { name: "Tickets" }) {
        ... on MutationCreateWorkflowSuccess { data { id } } } }`,
    );
    const workflowId = workflow.data.createWorkflow.data.id as string;
    const step = await harness.gql(apiKey, STEP_WRITE, {
      input: {
        workflowId,
        config: {
          channel: { kind: 'SPECIFIC', channelId },
          defaultMessage: { text: 'unused' },
          channelResponses: [
            {
              channelId,
              whatsappTemplate: {
                templateName: 'ticket_pdf',
                languageCode: 'en',
                parameters: ['$contact.firstname'],
                ...(headerMedia ? { headerMedia } : {}),
              },
            },
          ],
        },
      },
    });
    return { workflowId, step: step.data.addSendMessageStep };
  }

  it('a library document saved as the header is checked, published and sent as the header document with its name', async () => {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    const created = await harness.gql(
      apiKey,
      `mutation ($input: CreateFileInput!) { createFile(input: $input) {
        ... on MutationCreateFileSuccess { data { id } } } }`,
      {
        input: {
          name: 'Ticket 1042.pdf',
          contentType: 'application/pdf',
          sizeBytes: 84_000,
          url: 'https://cdn.example.com/tickets/1042.pdf',
        },
      },
    );
    const fileId = created.data.createFile.data.id as string;

    const missing = await ticketStep(apiKey, channel.id);
    expect(missing.step.issues).toEqual([
      {
        code: 'TEMPLATE_PARAMETER_MISMATCH',
        path: 'config.channelResponses[0].content.headerMedia',
      },
    ]);
    const { workflowId, step } = await ticketStep(apiKey, channel.id, {
      format: 'DOCUMENT',
      fileId,
    });
    expect(step.__typename).toBe('MutationAddSendMessageStepSuccess');
    const published = await harness.gql(
      apiKey,
      `mutation ($id: ID!) { publishWorkflow(workflowId: $id) { __typename } }`,
      { id: workflowId },
    );
    expect(published.data.publishWorkflow.__typename).toBe('MutationPublishWorkflowSuccess');

    const { contactId, e164 } = await contactWrittenIn(workspaceId, channel.id, 1);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'sent', providerMessageId: expect.any(String) });
    const [send] = sendsTo(e164);
    expect(send?.json?.template).toEqual(
      documentHeaderTemplateBody(
        'ticket_pdf',
        { link: 'https://cdn.example.com/tickets/1042.pdf', filename: 'Ticket 1042.pdf' },
        'Ada',
      ),
    );
  });
});

/** A BSUID no other test uses (`US.` and 20 digits, like Meta's examples). */
function businessScopedUserId(): string {
  nextPhone += 1;
  return `US.2481730591287364${String(1000 + nextPhone).padStart(4, '0')}`;
}

/** A one-step workflow sending `text` on the channel. */
function sendsToUserId(userId: string) {
  return graph.sends().filter((request) => request.json?.recipient === userId);
}

describe('business-scoped user IDs', () => {
  it('a contact given a BSUID through the API (createContact, upsertContactIdentity) is sent to as `recipient`, without `to`', async () => {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    const userId = businessScopedUserId();
    const { contactId, identity } = await contactThroughApi(harness, apiKey, {
      firstName: 'Sheena',
      channelId: channel.id,
      address: userId,
    });
    expect(identity).toEqual({
      __typename: 'MutationUpsertContactIdentitySuccess',
      data: { address: userId },
    });

    const { workflowId } = await textOnChannel(
      harness.db,
      workspaceId,
      channel.id,
      'Hi $contact.firstname',
    );
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const sent = sendsToUserId(userId);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.json).not.toHaveProperty('to');
    expect(sent[0]?.json).toMatchObject({
      recipient_type: 'individual',
      text: { preview_url: false, body: 'Hi Sheena' },
    });
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^wamid\./),
    });
  });

  it("Meta's user_changed_user_id moves the contact's identity on that channel to the new BSUID, once, records no message and touches no other workspace; the next send goes to the new BSUID", async () => {
    const { workspaceId, apiKey, channel } = await connectWhatsApp();
    const other = await connectWhatsApp();
    const [previousUserId, userId] = [businessScopedUserId(), businessScopedUserId()];
    const lastInboundAt = new Date(Date.now() - 3_600_000);
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Sheena' }, [
      { channelId: channel.id, address: previousUserId, lastInboundAt },
    ]);
    // Another workspace on the same business number knows someone by the same BSUID.
    const otherContactId = await seedContact(harness.db, other.workspaceId, {}, [
      { channelId: other.channel.id, address: previousUserId },
    ]);

    const notice = userChangedUserId(
      { name: 'Sheena Nelson', previousUserId, userId },
      `wamid.sys.${userId}`,
    );
    expect((await postWebhook(channel.callback.url, notice)).status).toBe(200);
    const identity = await waitFor(
      async () => {
        const [row] = await harness.db
          .select()
          .from(contactIdentities)
          .where(eq(contactIdentities.contactId, contactId));
        return row?.address === userId ? row : undefined;
      },
      { what: 'the identity at the new BSUID' },
    );
    expect(identity).toMatchObject({ channelId: channel.id, lastInboundAt });
    // Meta delivering it again changes nothing.
    expect((await postWebhook(channel.callback.url, notice)).status).toBe(200);
    await quietPeriod();
    expect(
      (
        await harness.db
          .select()
          .from(contactIdentities)
          .where(eq(contactIdentities.channelId, channel.id))
      ).map((row) => [row.contactId, row.address]),
    ).toEqual([[contactId, userId]]);
    expect(
      await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id)),
    ).toBe(0);
    const [theirs] = await harness.db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.contactId, otherContactId));
    expect(theirs).toMatchObject({ channelId: other.channel.id, address: previousUserId });

    const { workflowId } = await textOnChannel(harness.db, workspaceId, channel.id, 'Still here?');
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    expect(sendsToUserId(userId)).toHaveLength(1);
    expect(sendsToUserId(previousUserId)).toHaveLength(0);
  });
});

/**
 * A contact created through the API with their E.164 phone writes in on WhatsApp, where their
 * WhatsApp id is another form of that number (workflow/phone-equivalents.ts): Mexico's `521` +
 * 10 digits for `+52` + 10 digits, an older Brazilian account without the ninth digit.
 */
describe('a WhatsApp id in another form of the contact’s E.164 phone', () => {
  for (const [country, e164, waId] of [
    ['Mexico', '+525512345678', '5215512345678'],
    ['Brazil', '+5561987654321', '556187654321'],
  ] as const) {
    it(`${country}: the contact created with ${e164} receives the inbound from wa_id ${waId}, no twin is created, and a Last Interacted step answers the WhatsApp id`, async () => {
      const { workspaceId, apiKey, channel } = await connectWhatsApp();
      const contactId = await createContactThroughApi(harness, apiKey, {
        firstName: 'Lucía',
        phone: e164,
      });

      const response = await postMetaWebhook(
        channel.callback.url,
        whatsappWebhook(
          WHATSAPP_TEST_IDS,
          inboundText({ waId, name: 'Lucía Pérez' }, `wamid.in.${waId}.${Date.now()}`, 'Hola'),
        ),
        WHATSAPP_TEST_IDS.appSecret,
        'valid',
        workerFetch(harness),
      );
      expect(response.status).toBe(200);
      const [message] = await waitFor(
        async () => {
          const rows = await harness.db
            .select()
            .from(inboundMessages)
            .where(eq(inboundMessages.channelId, channel.id));
          return rows.length > 0 ? rows : undefined;
        },
        { what: `the inbound message from ${waId}` },
      );
      expect(message?.contactId).toBe(contactId);
      await quietPeriod();

      const all = await harness.db
        .select()
        .from(contacts)
        .where(eq(contacts.workspaceId, workspaceId));
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({
        id: contactId,
        firstName: 'Lucía',
        phone: e164,
        lastInteractedChannelId: channel.id,
      });
      const identities = await harness.db
        .select()
        .from(contactIdentities)
        .where(eq(contactIdentities.channelId, channel.id));
      expect(identities).toMatchObject([{ contactId, address: `+${waId}` }]);
      // The 24-hour window is open on the contact: a free-form text goes out.
      expect(identities[0]?.lastInboundAt).toBeInstanceOf(Date);

      const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
        {
          key: 'answer',
          type: 'send_message',
          config: sendConfig({
            channel: { kind: 'last_interacted' },
            defaultMessage: { type: 'text', text: 'Hola $contact.firstname' },
          }),
        },
      ]);
      const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
      const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
      expect(run.status).toBe('completed');
      const sent = graph.sends().filter((request) => request.json?.to === `+${waId}`);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.json?.text).toEqual({ preview_url: false, body: 'Hola Lucía' });
    });
  }
});
