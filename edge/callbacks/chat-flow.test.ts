import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactIdentities, contacts, inboundMessages } from '../../db/schema';
import {
  clearWebhook,
  type LineMessagingApi,
  lineTextWebhook,
  postLineWebhook,
  startLineMessagingApi,
} from '../../test/fakes/line-messaging-api';
import {
  postTelegramUpdate,
  startTelegramBotApi,
  type TelegramBotApi,
  telegramTextUpdate,
} from '../../test/fakes/telegram-bot-api';
import {
  nextMessageToken,
  postViberCallback,
  startViberBotApi,
  type ViberBotApi,
  viberMessageCallback,
  viberStatusCallback,
} from '../../test/fakes/viber-bot-api';
import { LINE_TEST } from '../channels/line-messaging/test-fixtures';
import { TELEGRAM_TEST } from '../channels/telegram-bot/test-fixtures';
import { VIBER_TEST } from '../channels/viber-bot/test-fixtures';
import {
  publishWorkflow,
  readDeliveries,
  readRun,
  seedContact,
  seedWorkspace,
  sendConfig,
  waitFor,
  waitForRun,
} from '../dispatch/test-seed';
import {
  type DispatchHarness,
  type GqlResult,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import {
  connectChannel,
  createChannelDocument,
  quietPeriod,
  textOnChannel,
  waitForAcceptedSend,
  waitForDelivery,
  waitForInboundContact,
  workerFetch,
} from './test-flow';

/**
 * Telegram, LINE and Viber end to end in workerd: channels connected through GraphQL against
 * the stand-ins, callbacks posted to the Worker's callback route as each provider sends them,
 * the callbacks queue recording them, and dispatch sending and routing runs.
 */

let harness: DispatchHarness;
let telegram: TelegramBotApi;
let line: LineMessagingApi;
let viber: ViberBotApi;

beforeAll(async () => {
  telegram = await startTelegramBotApi({ token: TELEGRAM_TEST.token, allowHttpWebhook: true });
  line = await startLineMessagingApi({
    accessToken: LINE_TEST.accessToken,
    allowHttpWebhook: true,
  });
  viber = await startViberBotApi({ authToken: VIBER_TEST.authToken, allowHttpWebhook: true });
  harness = await startDispatchHarness({
    bindings: {
      TELEGRAM_API_URL: telegram.url,
      LINE_API_URL: line.url,
      VIBER_API_URL: viber.url,
    },
  });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await Promise.all([telegram?.close(), line?.close(), viber?.close()]);
});

const connect = (input: Record<string, unknown>) => connectChannel(harness, input);

const dispatchFetch = (url: string, init: RequestInit) => workerFetch(harness)(url, init);

let nextChat = 700_000_000;

const inboundCount = (channelId: string) =>
  harness.db.$count(inboundMessages, eq(inboundMessages.channelId, channelId));

/**
 * Posts a forged and an unsigned copy (refused, nothing recorded), then the signed one twice:
 * one inbound message, one identity, whose contact has the channel as last interacted.
 */
async function expectSignedOnceOnly(
  channelId: string,
  post: (signing: 'valid' | 'forged' | 'missing') => Promise<Response>,
) {
  expect((await post('forged')).status).toBe(403);
  expect((await post('missing')).status).toBe(401);
  await quietPeriod();
  expect(await inboundCount(channelId)).toBe(0);
  expect((await post('valid')).status).toBe(200);
  expect((await post('valid')).status).toBe(200);
  await waitFor(async () => (await inboundCount(channelId)) >= 1, { what: 'the inbound message' });
  await quietPeriod();
  expect(await inboundCount(channelId)).toBe(1);
  const identities = await harness.db
    .select()
    .from(contactIdentities)
    .where(eq(contactIdentities.channelId, channelId));
  expect(identities).toHaveLength(1);
  const [contact] = await harness.db
    .select()
    .from(contacts)
    .where(eq(contacts.id, identities[0]!.contactId));
  expect(contact?.lastInteractedChannelId).toBe(channelId);
  return { identity: identities[0]!, contact: contact! };
}

describe('Telegram', () => {
  const connectTelegram = () =>
    connect({
      type: 'TELEGRAM',
      name: 'Support bot',
      credentials: { telegram: { botToken: TELEGRAM_TEST.token } },
    });

  it('connecting proves the token and sets the webhook to our callback URL with the channel’s secret token', async () => {
    const { channel } = await connectTelegram();
    expect(channel).toMatchObject({
      type: 'TELEGRAM',
      provider: 'TELEGRAM',
      status: 'CONNECTED',
      statusDetail: 'Verified: @sendflow_test_bot, webhook set',
    });
    expect(telegram.webhook).toEqual({
      url: channel.callback.url,
      secret_token: channel.callback.verifyToken,
      allowed_updates: ['message'],
    });
  });

  it('an update makes Telegram the last interacted channel, and a Last Interacted step answers there with Telegram’s response, MarkdownV2 characters in the name and all', async () => {
    const { workspaceId, apiKey, channel } = await connectTelegram();
    const chatId = ++nextChat;
    telegram.chats[String(chatId)] = 'active';
    const update = telegramTextUpdate(chatId, { id: chatId, firstName: 'Ada_Lovelace.' }, 'Hi!');
    const response = await postTelegramUpdate(
      channel.callback.url,
      update,
      channel.callback.verifyToken,
      'valid',
      dispatchFetch,
    );
    expect(response.status).toBe(200);
    const { contact } = await waitForInboundContact(harness.db, channel.id, String(chatId));
    expect(contact).toMatchObject({
      workspaceId,
      firstName: 'Ada_Lovelace.',
      lastInteractedChannelId: channel.id,
    });

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
              content: { type: 'text', text: 'Hi $contact.firstname, order #42 (v1.2) is ready!' },
            },
          ],
        }),
      },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contact.id]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('completed');
    const delivered = telegram.delivered.filter((message) => message.chatId === String(chatId));
    expect(delivered.map((message) => message.text)).toEqual([
      'Hi Ada_Lovelace., order #42 (v1.2) is ready!',
    ]);
    const [delivery] = await readDeliveries(harness.db, runId!);
    // Telegram has no delivery receipts: the accepted message stays sent.
    expect(delivery).toMatchObject({
      status: 'sent',
      channelId: channel.id,
      providerMessageId: `${chatId}:${delivered[0]?.messageId}`,
      providerStatus: null,
      deliveredAt: null,
    });
  });

  it('forged and unsigned updates are refused and change nothing; a replayed one has one effect', async () => {
    const { channel } = await connectTelegram();
    const chatId = ++nextChat;
    const update = telegramTextUpdate(chatId, { id: chatId, firstName: 'Mallory' }, 'hi');
    const { identity } = await expectSignedOnceOnly(channel.id, (signing) =>
      postTelegramUpdate(
        channel.callback.url,
        update,
        channel.callback.verifyToken,
        signing,
        dispatchFetch,
      ),
    );
    expect(identity.address).toBe(String(chatId));
  });
});

describe('LINE', () => {
  it('a signed message event creates the contact with its LINE identity and last interacted channel; forged, unsigned and replayed ones have no further effect', async () => {
    const { channel } = await connect({
      type: 'LINE',
      name: 'LINE inbound',
      credentials: {
        line: { channelAccessToken: LINE_TEST.accessToken, channelSecret: LINE_TEST.channelSecret },
      },
    });
    const userId = `U${crypto.randomUUID().replace(/-/g, '')}`;
    const payload = lineTextWebhook(userId, String(Date.now()), 'Hello from LINE');
    const { identity } = await expectSignedOnceOnly(channel.id, (signing) =>
      postLineWebhook(
        channel.callback.url,
        payload,
        LINE_TEST.channelSecret,
        signing,
        dispatchFetch,
      ),
    );
    expect(identity.address).toBe(userId);
  });

  it('a webhook of many long messages (over a queue batch’s 256 KB) is taken and every message recorded', async () => {
    const { channel } = await connect({
      type: 'LINE',
      name: 'LINE busy',
      credentials: {
        line: { channelAccessToken: LINE_TEST.accessToken, channelSecret: LINE_TEST.channelSecret },
      },
    });
    const userId = `U${crypto.randomUUID().replace(/-/g, '')}`;
    const base = Date.now();
    // LINE texts are up to 5,000 characters ("Text message"); 40 of them in CJK are ~600 KB.
    const events = Array.from({ length: 40 }, (_, index) => {
      const text = `${index}:${'日本語のメッセージ'.repeat(556)}`.slice(0, 5000);
      const [event] = lineTextWebhook(userId, String(base * 100 + index), text).events as unknown[];
      return event;
    });
    const payload = { destination: 'U0123456789abcdef0123456789abcdef', events };
    const response = await postLineWebhook(
      channel.callback.url,
      payload,
      LINE_TEST.channelSecret,
      'valid',
      dispatchFetch,
    );
    expect(response.status).toBe(200);
    await waitFor(async () => (await inboundCount(channel.id)) >= 40, {
      what: 'the 40 inbound messages',
    });
    expect(await inboundCount(channel.id)).toBe(40);
  }, 90_000);

  it('a push whose answer was lost is re-sent with the same retry key, delivered once, and recorded as sent', async () => {
    // The earlier LINE tests' channels are live and hold the account's one webhook URL, which
    // connecting does not take from them: free it, as the account's owner would.
    clearWebhook(line);
    const { workspaceId, apiKey, channel } = await connect({
      type: 'LINE',
      name: 'LINE account',
      credentials: {
        line: { channelAccessToken: LINE_TEST.accessToken, channelSecret: LINE_TEST.channelSecret },
      },
    });
    expect(channel).toMatchObject({
      status: 'CONNECTED',
      statusDetail: 'Verified: Sendflow Test (@123abcde), webhook set',
    });
    const userId = `U${crypto.randomUUID().replace(/-/g, '')}`;
    line.friends.add(userId);
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Ada' }, [
      { channelId: channel.id, address: userId },
    ]);
    const { workflowId } = await textOnChannel(
      harness.db,
      workspaceId,
      channel.id,
      'Hi $contact.firstname',
    );
    line.acceptThenFail(1, 1);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active', 60_000);
    expect(run.status).toBe('completed');
    const [delivery] = await readDeliveries(harness.db, runId!);
    const pushes = line.pushes().filter((request) => request.json?.to === userId);
    expect(pushes.map((request) => request.headers['x-line-retry-key'])).toEqual([
      delivery?.id,
      delivery?.id,
    ]);
    const executed = line.delivered.filter((push) => push.to === userId);
    expect(executed).toHaveLength(1);
    expect(delivery).toMatchObject({
      status: 'sent',
      providerMessageId: executed[0]?.sentMessages[0]?.id,
    });
  }, 90_000);
});

describe('Viber', () => {
  it('connecting over HTTP registers the webhook: Viber’s signed check reaches the stored channel through the callback route', async () => {
    const { apiKey } = await seedWorkspace(harness.db);
    // Over the Worker's real address, so the callback URL is one the stand-in can call.
    const response = await fetch(`${harness.worker.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: createChannelDocument(),
        variables: {
          input: {
            type: 'VIBER',
            name: 'Viber webhook',
            settings: { viber: { senderName: VIBER_TEST.senderName } },
            credentials: { viber: { authToken: VIBER_TEST.authToken } },
          },
        },
      }),
    });
    const channel = ((await response.json()) as GqlResult).data.createChannel.data;
    expect(channel).toMatchObject({
      status: 'CONNECTED',
      statusDetail: 'Verified: Sendflow Test, webhook set',
      callback: { url: `${harness.worker.url}/callbacks/viber/${channel.id}` },
    });
    expect(viber.webhook?.url).toBe(channel.callback.url);
  });

  it('a signed message creates the contact with its Viber identity, name and last interacted channel; forged, unsigned and replayed ones have no further effect', async () => {
    const { channel } = await connect({
      type: 'VIBER',
      name: 'Viber inbound',
      settings: { viber: { senderName: VIBER_TEST.senderName } },
      credentials: { viber: { authToken: VIBER_TEST.authToken } },
    });
    const userId = `${crypto.randomUUID().slice(0, 8)}+in==`;
    const body = viberMessageCallback(
      { id: userId, name: 'Ada Lovelace' },
      nextMessageToken(),
      'Hi',
    );
    const { identity, contact } = await expectSignedOnceOnly(channel.id, (signing) =>
      postViberCallback(channel.callback.url, body, VIBER_TEST.authToken, signing, dispatchFetch),
    );
    expect(identity.address).toBe(userId);
    expect(contact).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('a signed callback whose event or message type is named like an Object.prototype member is an unknown one: no status, and a message of another type', async () => {
    const { channel } = await connect({
      type: 'VIBER',
      name: 'Viber odd types',
      settings: { viber: { senderName: VIBER_TEST.senderName } },
      credentials: { viber: { authToken: VIBER_TEST.authToken } },
    });
    const userId = `${crypto.randomUUID().slice(0, 8)}+p==`;
    const post = (body: string) =>
      postViberCallback(channel.callback.url, body, VIBER_TEST.authToken, 'valid', dispatchFetch);
    const status = JSON.stringify({
      event: 'toString',
      timestamp: Date.now(),
      message_token: nextMessageToken(),
      user_id: userId,
    });
    expect((await post(status)).status).toBe(200);
    const message = JSON.stringify({
      event: 'message',
      timestamp: Date.now(),
      message_token: nextMessageToken(),
      sender: { id: userId, name: 'Ada' },
      message: { type: 'constructor', text: 'hi' },
    });
    expect((await post(message)).status).toBe(200);
    await waitFor(async () => (await inboundCount(channel.id)) === 1, {
      what: 'the message of an unknown type',
    });
    const [recorded] = await harness.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.channelId, channel.id));
    // Not media whose type is a function read from Object.prototype.
    expect(recorded?.content).toEqual({ type: 'other', providerType: 'constructor', text: 'hi' });
  });

  it('with confirm delivery, a signed delivered callback moves the run on; seen is recorded; a forged one changes nothing', async () => {
    const { workspaceId, apiKey, channel } = await connect({
      type: 'VIBER',
      name: 'Viber bot',
      settings: { viber: { senderName: VIBER_TEST.senderName } },
      credentials: { viber: { authToken: VIBER_TEST.authToken } },
    });
    // The stand-in cannot reach the in-process Worker's callback URL for Viber's check.
    expect(channel).toMatchObject({
      status: 'CONNECTED',
      statusDetail: expect.stringContaining('the webhook was not set'),
    });
    const userId = `${crypto.randomUUID().slice(0, 8)}+v==`;
    viber.subscribers[userId] = 'subscribed';
    const contactId = await seedContact(harness.db, workspaceId, { firstName: 'Ada' }, [
      { channelId: channel.id, address: userId },
    ]);
    const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'notify',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId: channel.id },
          defaultMessage: { type: 'text', text: 'Your order shipped' },
          confirmDelivery: { timeoutMinutes: 10 },
        }),
        next: 'thanks',
      },
      { key: 'thanks', type: 'wait', config: { seconds: 3600 } },
    ]);
    const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
    const delivery = await waitForAcceptedSend(harness.db, runId!);
    const token = viber.delivered.find((send) => send.receiver === userId)?.messageToken;
    expect(delivery.providerMessageId).toBe(token);
    expect((await readRun(harness.db, runId!)).currentStepId).toBe(stepIds.notify);

    const post = (event: 'delivered' | 'seen', signing: 'valid' | 'forged' = 'valid') =>
      postViberCallback(
        channel.callback.url,
        viberStatusCallback(event, token!, userId),
        VIBER_TEST.authToken,
        signing,
        dispatchFetch,
      );
    expect((await post('delivered', 'forged')).status).toBe(403);
    await quietPeriod();
    expect((await readRun(harness.db, runId!)).currentStepId).toBe(stepIds.notify);

    expect((await post('delivered')).status).toBe(200);
    await waitForRun(harness.db, runId!, (r) => r.currentStepId === stepIds.thanks);
    expect((await post('seen')).status).toBe(200);
    const seen = await waitForDelivery(
      harness.db,
      delivery.id,
      (row) => row.providerStatus === 'read',
    );
    expect(seen).toMatchObject({ status: 'sent' });
    expect(seen.deliveredAt).toBeInstanceOf(Date);
    expect(seen.readAt).toBeInstanceOf(Date);
  }, 90_000);
});
