import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, inboundMessages } from '../../db/schema';
import {
  incomingLocation,
  incomingMessage,
  postTwilioWebhook,
  startTwilio,
  statusCallback,
  type TwilioSigning,
  type TwilioStandIn,
  withExplicitPort,
} from '../../test/fakes/twilio';
import { TWILIO_TEST_IDS } from '../channels/twilio/test-fixtures';
import { publishWorkflow, readRun, seedContact, waitFor, waitForRun } from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import {
  connectChannel,
  notifyWithFallback,
  quietPeriod,
  readDelivery,
  waitForAcceptedSend,
  waitForDelivery,
  workerFetch,
} from './test-flow';

/**
 * Twilio end to end in workerd: an SMS channel connected through GraphQL against the Twilio
 * stand-in, sends carrying our status callback URL, and Twilio's signed status and incoming
 * message webhooks posted to the Worker's callback route, recorded by the callbacks queue; a
 * WhatsApp channel's incoming location likewise.
 */

/** The Worker's public origin: callback URLs (and so Twilio's signatures) are under it. */
const PUBLIC_URL = 'http://worker.test';

let harness: DispatchHarness;
let twilio: TwilioStandIn;

beforeAll(async () => {
  twilio = await startTwilio(TWILIO_TEST_IDS);
  harness = await startDispatchHarness({
    bindings: { TWILIO_API_URL: twilio.url, PUBLIC_URL },
  });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await twilio?.close();
});

function connectSms() {
  return connectChannel(harness, {
    type: 'SMS',
    provider: 'TWILIO',
    name: 'Support SMS',
    settings: { sms: { fromNumber: TWILIO_TEST_IDS.fromNumber } },
    credentials: {
      sms: { accountSid: TWILIO_TEST_IDS.accountSid, authToken: TWILIO_TEST_IDS.authToken },
    },
  });
}

function postWebhook(url: string, params: Record<string, string>, signing?: TwilioSigning) {
  return postTwilioWebhook(url, params, TWILIO_TEST_IDS.authToken, signing, workerFetch(harness));
}

let nextPhone = 0;
function phone(): string {
  nextPhone += 1;
  return `+1415555${String(1000 + nextPhone).padStart(4, '0')}`;
}

function sendsTo(e164: string) {
  return twilio.sends().filter((request) => request.form.get('To') === e164);
}

it('connecting verifies the account with Twilio and shows the callback URL', async () => {
  const { channel } = await connectSms();
  expect(channel).toMatchObject({
    type: 'SMS',
    provider: 'TWILIO',
    status: 'CONNECTED',
    statusDetail: 'Verified: Twilio account Sendflow Test',
    callback: { url: `${PUBLIC_URL}/callbacks/twilio/${channel.id}` },
  });
});

describe('statuses after acceptance', () => {
  /** A run at an SMS step (optionally confirming delivery) that Twilio has accepted. */
  async function acceptedSend(confirmMinutes: number | null) {
    const { workspaceId, apiKey, channel } = await connectSms();
    const e164 = phone();
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Ada', phone: e164 });
    const { workflowId, stepIds } = await publishWorkflow(
      harness.db,
      workspaceId,
      notifyWithFallback(channel.id, 'Your order shipped, $contact.firstname', confirmMinutes, {
        defaultMessage: { type: 'text', text: 'We could not reach you' },
      }),
    );
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const delivery = await waitForAcceptedSend(harness.db, runId!);
    return { channel, runId: runId!, stepIds, e164, delivery };
  }

  it('the send carries our status callback URL and records its SMS segments', async () => {
    const { channel, e164, delivery } = await acceptedSend(null);
    const [sent] = sendsTo(e164);
    expect(sent?.form.get('StatusCallback')).toBe(channel.callback.url);
    expect(sent?.form.get('Body')).toBe('Your order shipped, Ada');
    expect(delivery).toMatchObject({
      providerMessageId: expect.stringMatching(/^SM/),
      segments: 1,
    });
  });

  it('with confirm delivery, an undelivered callback (30005) is recorded and takes the failure branch', async () => {
    const { channel, runId, stepIds, e164, delivery } = await acceptedSend(10);
    expect(await readRun(harness.db, runId)).toMatchObject({
      status: 'active',
      currentStepId: stepIds.notify,
    });
    const response = await postWebhook(
      channel.callback.url,
      statusCallback(TWILIO_TEST_IDS.accountSid, delivery.providerMessageId!, 'undelivered', {
        ErrorCode: '30005',
        To: e164,
        From: TWILIO_TEST_IDS.fromNumber,
      }),
    );
    expect(response.status).toBe(200);
    const run = await waitForRun(harness.db, runId, (r) => r.status !== 'active');
    expect(run).toMatchObject({ status: 'completed', currentStepId: stepIds.fallback });
    expect(await readDelivery(harness.db, delivery.id)).toMatchObject({
      status: 'failed',
      providerStatus: 'failed',
      reasonCode: 'recipient_unavailable',
      reasonDetail: 'Twilio error 30005: Unknown destination handset',
    });
    expect(sendsTo(e164).map((request) => request.form.get('Body'))).toEqual([
      'Your order shipped, Ada',
      'We could not reach you',
    ]);
  });

  it('with confirm delivery, delivered moves the run on; a replay changes nothing', async () => {
    const { channel, runId, stepIds, delivery } = await acceptedSend(10);
    const delivered = statusCallback(
      TWILIO_TEST_IDS.accountSid,
      delivery.providerMessageId!,
      'delivered',
    );
    expect((await postWebhook(channel.callback.url, delivered)).status).toBe(200);
    const run = await waitForRun(harness.db, runId, (r) => r.currentStepId === stepIds.thanks);
    expect(run.status).toBe('active');
    const before = await readDelivery(harness.db, delivery.id);
    expect(before).toMatchObject({ status: 'sent', providerStatus: 'delivered' });
    expect((await postWebhook(channel.callback.url, delivered)).status).toBe(200);
    await quietPeriod();
    expect(await readDelivery(harness.db, delivery.id)).toEqual(before);
  });

  it('without confirm delivery, undelivered is recorded and the run is not routed again', async () => {
    const { channel, runId, stepIds, e164, delivery } = await acceptedSend(null);
    expect((await readRun(harness.db, runId)).currentStepId).toBe(stepIds.thanks);
    await postWebhook(
      channel.callback.url,
      statusCallback(TWILIO_TEST_IDS.accountSid, delivery.providerMessageId!, 'undelivered', {
        ErrorCode: '30003',
      }),
    );
    const recorded = await waitForDelivery(
      harness.db,
      delivery.id,
      (row) => row.status === 'failed',
    );
    expect(recorded).toMatchObject({
      reasonCode: 'recipient_unavailable',
      providerStatus: 'failed',
    });
    expect(await readRun(harness.db, runId)).toMatchObject({
      status: 'active',
      currentStepId: stepIds.thanks,
    });
    expect(sendsTo(e164)).toHaveLength(1);
  });

  it('a status callback Twilio signed over the URL with its port written out is accepted', async () => {
    const { channel, delivery } = await acceptedSend(10);
    const delivered = statusCallback(
      TWILIO_TEST_IDS.accountSid,
      delivery.providerMessageId!,
      'delivered',
    );
    const response = await postTwilioWebhook(
      channel.callback.url,
      delivered,
      TWILIO_TEST_IDS.authToken,
      'valid',
      workerFetch(harness),
      { signedUrl: withExplicitPort(channel.callback.url) },
    );
    expect(response.status).toBe(200);
    expect(
      await waitForDelivery(harness.db, delivery.id, (row) => row.providerStatus === 'delivered'),
    ).toMatchObject({ status: 'sent', providerStatus: 'delivered' });
  });

  it('a forged or unsigned status callback is refused and changes nothing', async () => {
    const { channel, delivery } = await acceptedSend(10);
    const failed = statusCallback(
      TWILIO_TEST_IDS.accountSid,
      delivery.providerMessageId!,
      'failed',
      { ErrorCode: '30006' },
    );
    expect((await postWebhook(channel.callback.url, failed, 'forged')).status).toBe(403);
    expect((await postWebhook(channel.callback.url, failed, 'missing')).status).toBe(401);
    await quietPeriod();
    expect(await readDelivery(harness.db, delivery.id)).toMatchObject({
      status: 'sent',
      providerStatus: null,
    });
  });
});

it('an incoming SMS creates the contact and makes SMS their last interacted channel, once', async () => {
  const { workspaceId, channel } = await connectSms();
  const sender = phone();
  const params = incomingMessage(
    TWILIO_TEST_IDS.accountSid,
    sender,
    TWILIO_TEST_IDS.fromNumber,
    'Is my order on its way?',
  );
  expect((await postWebhook(channel.callback.url, params)).status).toBe(200);
  expect((await postWebhook(channel.callback.url, params)).status).toBe(200);
  const contact = await waitFor(
    async () => {
      const [row] = await harness.db
        .select()
        .from(contacts)
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.phone, sender)));
      return row?.lastInteractedChannelId ? row : undefined;
    },
    { what: 'the contact from the inbound SMS' },
  );
  expect(contact.lastInteractedChannelId).toBe(channel.id);
  await quietPeriod();
  expect(await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id))).toBe(
    1,
  );
});

it('a location a WhatsApp user shares through Twilio is recorded with its place as text, once', async () => {
  const { workspaceId, channel } = await connectChannel(harness, {
    type: 'WHATSAPP',
    provider: 'TWILIO',
    name: 'Support WhatsApp',
    settings: { whatsappTwilio: { fromNumber: TWILIO_TEST_IDS.fromNumber } },
    credentials: {
      whatsappTwilio: {
        accountSid: TWILIO_TEST_IDS.accountSid,
        authToken: TWILIO_TEST_IDS.authToken,
      },
    },
  });
  const sender = phone();
  const params = incomingLocation(
    TWILIO_TEST_IDS.accountSid,
    `whatsapp:${sender}`,
    `whatsapp:${TWILIO_TEST_IDS.fromNumber}`,
    {
      latitude: '51.51322977399644',
      longitude: '-0.2197976373036567',
      address: '187 Freston Road, London, Greater London W10 6TH',
      label: 'The Harrow Club',
    },
    { ProfileName: 'Sheena Nelson', WaId: sender.slice(1) },
  );
  // Signed over the callback URL and every parameter, location ones included.
  expect((await postWebhook(channel.callback.url, params, 'forged')).status).toBe(403);
  expect((await postWebhook(channel.callback.url, params)).status).toBe(200);
  expect((await postWebhook(channel.callback.url, params)).status).toBe(200);
  const recorded = await waitFor(
    async () => {
      const [row] = await harness.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.channelId, channel.id));
      return row;
    },
    { what: 'the inbound location' },
  );
  const place = 'The Harrow Club, 187 Freston Road, London, Greater London W10 6TH';
  expect(recorded).toMatchObject({
    workspaceId,
    providerMessageId: params.MessageSid,
    content: { type: 'other', providerType: 'location', text: place },
    summary: place,
  });
  const [contact] = await harness.db
    .select()
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.phone, sender)));
  expect(contact).toMatchObject({ firstName: 'Sheena', lastName: 'Nelson' });
  await quietPeriod();
  expect(await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id))).toBe(
    1,
  );
});
