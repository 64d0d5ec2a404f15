import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { contacts, inboundMessages } from '../../db/schema';
import {
  signedWebhook,
  startVonage,
  type VonageSigning,
  type VonageStandIn,
  vonageKeyPair,
  whatsappInboundLocation,
  whatsappStatus,
} from '../../test/fakes/vonage';
import { VONAGE_TEST_IDS } from '../channels/vonage/test-fixtures';
import { seedContact, waitFor } from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import {
  connectChannel,
  contactThroughApi,
  quietPeriod,
  readDelivery,
  textOnChannel,
  waitForAcceptedSend,
  waitForDelivery,
} from './test-flow';

/**
 * Vonage end to end in workerd: an SMS channel connected through GraphQL, a send to the Messages
 * API stand-in (RS256 JWT checked there), and Vonage's signed status and inbound (WhatsApp
 * location) webhooks posted to the Worker's callback route.
 */

const keys = vonageKeyPair();
let harness: DispatchHarness;
let vonage: VonageStandIn;

beforeAll(async () => {
  vonage = await startVonage({
    applicationId: VONAGE_TEST_IDS.applicationId,
    publicKey: keys.publicKey,
  });
  harness = await startDispatchHarness({ bindings: { VONAGE_API_URL: vonage.url } });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await vonage?.close();
});

function postWebhook(url: string, payload: unknown, signing: VonageSigning = 'valid') {
  const { headers, body } = signedWebhook(payload, VONAGE_TEST_IDS.signatureSecret, signing);
  return harness.worker.dispatchFetch(url, { method: 'POST', headers, body });
}

/** A WhatsApp channel through Vonage, connected through GraphQL against the stand-in. */
function connectVonageWhatsApp() {
  return connectChannel(harness, {
    type: 'WHATSAPP',
    provider: 'VONAGE',
    name: 'WhatsApp via Vonage',
    settings: {
      whatsappVonage: {
        applicationId: VONAGE_TEST_IDS.applicationId,
        fromNumber: VONAGE_TEST_IDS.fromNumber,
      },
    },
    credentials: {
      whatsappVonage: {
        privateKey: keys.privateKey,
        signatureSecret: VONAGE_TEST_IDS.signatureSecret,
      },
    },
  });
}

it('a send goes out as the application, and a signed rejected status fails the delivery; stale, forged and unsigned ones change nothing', async () => {
  const { workspaceId, apiKey, channel } = await connectChannel(harness, {
    type: 'SMS',
    provider: 'VONAGE',
    name: 'SMS via Vonage',
    settings: {
      smsVonage: {
        applicationId: VONAGE_TEST_IDS.applicationId,
        fromNumber: VONAGE_TEST_IDS.fromNumber,
      },
    },
    credentials: {
      smsVonage: {
        privateKey: keys.privateKey,
        signatureSecret: VONAGE_TEST_IDS.signatureSecret,
      },
    },
  });
  expect(channel.provider).toBe('VONAGE');
  const contactId = await seedContact(harness.db, workspaceId, {
    firstName: 'Ada',
    phone: '+447700900555',
  });
  const { workflowId } = await textOnChannel(
    harness.db,
    workspaceId,
    channel.id,
    'Hi $contact.firstname',
  );
  const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
  const delivery = await waitForAcceptedSend(harness.db, runId!);
  expect(delivery.segments).toBe(1);
  const [sent] = vonage.sends();
  expect(sent?.claims?.application_id).toBe(VONAGE_TEST_IDS.applicationId);
  expect(sent?.json).toMatchObject({ to: '447700900555', text: 'Hi Ada', client_ref: delivery.id });

  const rejected = {
    message_uuid: delivery.providerMessageId,
    to: '447700900555',
    from: '447700900001',
    timestamp: new Date().toISOString(),
    status: 'rejected',
    channel: 'sms',
    client_ref: delivery.id,
    error: {
      type: 'https://developer.vonage.com/api-errors/messages#1050',
      title: 'Number barred',
      detail: 'The number is blacklisted',
    },
  };
  expect((await postWebhook(channel.callback.url, rejected, 'stale')).status).toBe(403);
  expect((await postWebhook(channel.callback.url, rejected, 'forged')).status).toBe(403);
  expect((await postWebhook(channel.callback.url, rejected, 'missing')).status).toBe(401);
  await quietPeriod();
  expect(await readDelivery(harness.db, delivery.id)).toMatchObject({
    status: 'sent',
    providerStatus: null,
  });

  expect((await postWebhook(channel.callback.url, rejected)).status).toBe(200);
  const failed = await waitForDelivery(harness.db, delivery.id, (row) => row.status === 'failed');
  expect(failed).toMatchObject({
    providerStatus: 'failed',
    reasonCode: 'recipient_unavailable',
    reasonDetail: 'Vonage error 1050: Number barred: The number is blacklisted',
  });
});

it('a WhatsApp contact given a business-scoped user ID through the API is sent to at it as `to`, and the status Vonage documents for it (to the BSUID, with whatsapp.recipient and profile) marks the delivery delivered', async () => {
  const { workspaceId, apiKey, channel } = await connectVonageWhatsApp();
  const bsuid = 'US.13491208655302741918';
  const { contactId, identity } = await contactThroughApi(harness, apiKey, {
    firstName: 'Sheena',
    channelId: channel.id,
    address: bsuid,
  });
  expect(identity).toEqual({
    __typename: 'MutationUpsertContactIdentitySuccess',
    data: { address: bsuid },
  });

  const { workflowId } = await textOnChannel(
    harness.db,
    workspaceId,
    channel.id,
    'Hi $contact.firstname',
  );
  const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
  const delivery = await waitForAcceptedSend(harness.db, runId!);
  const sent = vonage.sends().filter((request) => request.json?.to === bsuid);
  expect(sent.map((request) => request.json)).toEqual([
    {
      message_type: 'text',
      text: 'Hi Sheena',
      to: bsuid,
      from: '447700900001',
      channel: 'whatsapp',
      client_ref: delivery.id,
    },
  ]);

  const delivered = whatsappStatus({
    messageUuid: delivery.providerMessageId!,
    clientRef: delivery.id,
    to: bsuid,
    status: 'delivered',
    recipient: { userId: bsuid, parentUserId: 'US.ENT.11815799212886844830' },
    profile: { name: 'Sheena Nelson', username: 'sheena.n' },
  });
  expect((await postWebhook(channel.callback.url, delivered)).status).toBe(200);
  const row = await waitForDelivery(harness.db, delivery.id, (d) => d.deliveredAt !== null);
  expect(row).toMatchObject({ status: 'sent', providerStatus: 'delivered' });
});

it('a location a WhatsApp user shares through Vonage is recorded with its place as text; a dropped pin with its coordinates', async () => {
  const { workspaceId, channel } = await connectVonageWhatsApp();
  const place = whatsappInboundLocation({
    from: '447700900777',
    profileName: 'Ada Lovelace',
    location: {
      lat: 37.44216251868683,
      long: -122.16153582049394,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
    },
  });
  const pin = whatsappInboundLocation({
    from: '447700900777',
    location: { lat: 51.5132, long: -0.2198 },
  });
  const recorded = (count: number) =>
    waitFor(
      async () => {
        const found = await harness.db
          .select()
          .from(inboundMessages)
          .where(eq(inboundMessages.channelId, channel.id));
        return found.length === count ? found : undefined;
      },
      { what: `${count} inbound location(s)` },
    );
  expect((await postWebhook(channel.callback.url, place, 'forged')).status).toBe(403);
  expect((await postWebhook(channel.callback.url, place)).status).toBe(200);
  // The place first: it names the new contact, the pin after it has no profile.
  await recorded(1);
  expect((await postWebhook(channel.callback.url, pin)).status).toBe(200);
  const rows = await recorded(2);
  const byId = new Map(rows.map((row) => [row.providerMessageId, row]));
  const placeText = 'Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301';
  expect(byId.get(place.message_uuid as string)).toMatchObject({
    workspaceId,
    content: { type: 'other', providerType: 'location', text: placeText },
    summary: placeText,
  });
  expect(byId.get(pin.message_uuid as string)).toMatchObject({
    content: { type: 'other', providerType: 'location', text: '51.5132, -0.2198' },
    summary: '51.5132, -0.2198',
  });
  const [contact] = await harness.db
    .select()
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.phone, '+447700900777')));
  expect(contact).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
  await quietPeriod();
  expect(await harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channel.id))).toBe(
    2,
  );
});
