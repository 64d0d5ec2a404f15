import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channels, contactIdentities, inboundMessages } from '../../db/schema';
import {
  inboundText,
  messagingText,
  messagingWebhook,
  postMetaWebhook,
} from '../../test/fakes/meta-webhooks';
import { callbackUrl } from '../channels/callbacks';
import { seedWorkspace } from '../dispatch/test-seed';
import { type DispatchHarness, startDispatchHarness } from '../dispatch/test-support';
import { quietPeriod, waitForInboundContact, workerFetch } from './test-flow';

/**
 * Meta posts an app's webhooks for every number (WhatsApp) or Page (Messenger, Instagram) to the
 * app's one callback URL: a payload at one channel's URL reaches the workspace's other channels
 * of the same app (their own app secret verifies it), and no channel of another app or another
 * workspace.
 */

const APP_SECRET = 'shared-app-secret';
const ORIGIN = 'https://sendflow.test';
let harness: DispatchHarness;

beforeAll(async () => {
  harness = await startDispatchHarness();
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

async function whatsappChannel(workspaceId: string, phoneNumberId: string, appSecret: string) {
  const [row] = await harness.db
    .insert(channels)
    .values({
      workspaceId,
      type: 'whatsapp',
      provider: 'meta',
      name: `WhatsApp ${phoneNumberId}`,
      settings: { phoneNumberId, businessAccountId: '102290129340398' },
      credentialsCiphertext: await harness.cipher.encrypt({ accessToken: 'EAA-test', appSecret }),
    })
    .returning({ id: channels.id });
  return row!.id;
}

async function messengerChannel(workspaceId: string, pageId: string, appSecret: string) {
  const [row] = await harness.db
    .insert(channels)
    .values({
      workspaceId,
      type: 'messenger',
      provider: 'meta',
      name: `Page ${pageId}`,
      settings: { pageId },
      credentialsCiphertext: await harness.cipher.encrypt({
        pageAccessToken: 'EAA-page',
        appSecret,
      }),
    })
    .returning({ id: channels.id });
  return row!.id;
}

async function inboundOn(channelId: string) {
  return harness.db
    .select({ text: inboundMessages.summary })
    .from(inboundMessages)
    .where(eq(inboundMessages.channelId, channelId));
}

function numberEntry(phoneNumberId: string, waId: string, id: string, text: string) {
  return whatsappWebhookEntry(phoneNumberId, inboundText({ waId, name: 'Ada' }, id, text));
}

function whatsappWebhookEntry(phoneNumberId: string, value: Record<string, unknown>) {
  return {
    id: '102290129340398',
    changes: [
      {
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550100000', phone_number_id: phoneNumberId },
          ...value,
        },
      },
    ],
  };
}

it("a WhatsApp webhook at one number's URL reaches the workspace's other numbers of the same app, and only those", async () => {
  const { workspaceId } = await seedWorkspace(harness.db);
  const first = await whatsappChannel(workspaceId, '1001', APP_SECRET);
  const second = await whatsappChannel(workspaceId, '1002', APP_SECRET);
  const otherApp = await whatsappChannel(workspaceId, '1003', 'another-app-secret');
  const elsewhere = await whatsappChannel(
    (await seedWorkspace(harness.db)).workspaceId,
    '1002',
    APP_SECRET,
  );

  const response = await postMetaWebhook(
    callbackUrl(ORIGIN, 'meta', first),
    {
      object: 'whatsapp_business_account',
      entry: [
        numberEntry('1001', '447700900001', 'wamid.shared-1', 'to the first number'),
        numberEntry('1002', '447700900002', 'wamid.shared-2', 'to the second number'),
        numberEntry('1003', '447700900003', 'wamid.shared-3', 'to another app'),
      ],
    },
    APP_SECRET,
    'valid',
    workerFetch(harness),
  );
  expect(response.status).toBe(200);

  await waitForInboundContact(harness.db, first, '+447700900001');
  const { contact } = await waitForInboundContact(harness.db, second, '+447700900002');
  expect(contact.workspaceId).toBe(workspaceId);
  expect(contact.lastInteractedChannelId).toBe(second);
  expect(await inboundOn(second)).toEqual([{ text: 'to the second number' }]);
  await quietPeriod();
  expect(await inboundOn(first)).toEqual([{ text: 'to the first number' }]);
  // Another app's number cannot be told apart from a forgery; another workspace is not ours.
  expect(await inboundOn(otherApp)).toEqual([]);
  expect(await inboundOn(elsewhere)).toEqual([]);
  expect(
    await harness.db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.channelId, elsewhere)),
  ).toEqual([]);
});

it("a Messenger webhook at one Page's URL reaches the workspace's other Pages of the same app; a forged one reaches none", async () => {
  const { workspaceId } = await seedWorkspace(harness.db);
  const first = await messengerChannel(workspaceId, '5001', APP_SECRET);
  const second = await messengerChannel(workspaceId, '5002', APP_SECRET);
  const payload = messagingWebhook('page', '5002', [
    messagingText('6500000000000001', '5002', 'mid.shared-1', 'hi'),
  ]);

  const forged = await postMetaWebhook(
    callbackUrl(ORIGIN, 'meta', first),
    payload,
    APP_SECRET,
    'forged',
    workerFetch(harness),
  );
  expect(forged.status).toBe(403);
  const sent = await postMetaWebhook(
    callbackUrl(ORIGIN, 'meta', first),
    payload,
    APP_SECRET,
    'valid',
    workerFetch(harness),
  );
  expect(sent.status).toBe(200);
  await waitForInboundContact(harness.db, second, '6500000000000001');
  expect(await inboundOn(second)).toEqual([{ text: 'hi' }]);
  expect(await inboundOn(first)).toEqual([]);
});
