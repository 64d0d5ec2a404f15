import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../db/schema';
import { TELEGRAM_TEST } from '../../edge/channels/telegram-bot/test-fixtures';
import { waitFor } from '../../edge/dispatch/test-seed';
import {
  clearWebhook,
  startTelegramBotApi,
  type TelegramBotApi,
} from '../../test/fakes/telegram-bot-api';
import { accountLockAwaited, gatedProvider, useTestApi } from '../test-support';

/** Filled once the stand-in listens; the API reads the same object on every request. */
const endpoints: Record<string, string> = {};
const api = useTestApi({ providerEndpoints: endpoints, publicUrl: 'https://sendflow.example.com' });
let telegram: TelegramBotApi;

beforeAll(async () => {
  telegram = await startTelegramBotApi({ token: TELEGRAM_TEST.token });
  endpoints.TELEGRAM_API_URL = telegram.url;
});
afterAll(() => telegram?.close());
beforeEach(async () => {
  // Each test connects the bot afresh: a webhook left by the last one would not be moved.
  await clearWebhook(telegram, TELEGRAM_TEST.token);
  telegram.requests.length = 0;
});

const CREATE = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      ... on MutationCreateChannelSuccess { data { id status statusDetail callback { url verifyToken } } }
    }
  }
`;
const VERIFY = /* GraphQL */ `
  mutation ($id: ID!) {
    verifyChannel(id: $id) {
      ... on MutationVerifyChannelSuccess { data { statusDetail callback { url verifyToken } } }
    }
  }
`;

describe('webhooks registered when a channel is connected', () => {
  it('createChannel sets the Telegram webhook to the public callback URL with the channel’s token', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: {
        type: 'TELEGRAM',
        name: 'Bot',
        credentials: { telegram: { botToken: TELEGRAM_TEST.token } },
      },
    });
    const channel = result.data.createChannel.data;
    expect(channel).toMatchObject({
      status: 'CONNECTED',
      statusDetail: 'Verified: @sendflow_test_bot, webhook set',
      callback: { url: `https://sendflow.example.com/callbacks/telegram/${channel.id}` },
    });
    expect(telegram.webhook).toMatchObject({
      url: channel.callback.url,
      secret_token: channel.callback.verifyToken,
    });
  });

  it('verifyChannel gives a channel saved without a callback token one, and registers it', async () => {
    const ws = await api.createWorkspace();
    const created = await api.gql(ws.apiKey, CREATE, {
      input: {
        type: 'TELEGRAM',
        name: 'Old bot',
        credentials: { telegram: { botToken: TELEGRAM_TEST.token } },
      },
    });
    const id = created.data.createChannel.data.id;
    await api.db.update(channels).set({ callbackToken: null }).where(eq(channels.id, id));
    const verified = (await api.gql(ws.apiKey, VERIFY, { id })).data.verifyChannel.data;
    expect(verified.callback.verifyToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(verified.statusDetail).toBe('Verified: @sendflow_test_bot, webhook set');
    expect(telegram.webhook?.secret_token).toBe(verified.callback.verifyToken);
  });

  it('a bot whose webhook serves another channel keeps it: the second channel sends, and says its webhook was not set', async () => {
    const ws = await api.createWorkspace();
    const input = {
      type: 'TELEGRAM',
      name: 'Bot',
      credentials: { telegram: { botToken: TELEGRAM_TEST.token } },
    };
    const first = (await api.gql(ws.apiKey, CREATE, { input })).data.createChannel.data;
    const other = await api.createWorkspace();
    const second = (await api.gql(other.apiKey, CREATE, { input })).data.createChannel.data;
    expect(second.status).toBe('CONNECTED');
    expect(second.statusDetail).toBe(
      `Verified: @sendflow_test_bot; the webhook was not set: the bot's webhook points at another Sendflow channel (${first.id}, at https://sendflow.example.com), and a bot has one webhook, so moving it would take its messages from there; remove it there (delete that channel, or call deleteWebhook), then verify this channel`,
    );
    expect(telegram.calls('setWebhook')).toHaveLength(1); // the first channel's
    expect(telegram.webhook).toMatchObject({
      url: first.callback.url,
      secret_token: first.callback.verifyToken,
    });

    // verifyChannel does not take it either; once the owner frees the bot, it does.
    const again = (await api.gql(other.apiKey, VERIFY, { id: second.id })).data;
    expect(again.verifyChannel.data.statusDetail).toBe(second.statusDetail);
    expect(telegram.webhook?.url).toBe(first.callback.url);
    await clearWebhook(telegram, TELEGRAM_TEST.token);
    const freed = (await api.gql(other.apiKey, VERIFY, { id: second.id })).data;
    expect(freed.verifyChannel.data.statusDetail).toBe('Verified: @sendflow_test_bot, webhook set');
    expect(telegram.webhook?.url).toBe(second.callback.url);
  });
});

describe('two channels connecting one bot at the same instant', () => {
  it("the second reads the first's webhook and leaves it there, naming that channel", async () => {
    const ws = await api.createWorkspace();
    const credentials = { botToken: TELEGRAM_TEST.token };
    const gate = await gatedProvider(telegram.url, (path) => path.endsWith('/getWebhookInfo'));
    endpoints.TELEGRAM_API_URL = gate.url;
    try {
      const create = (name: string) =>
        api.gql(ws.apiKey, CREATE, {
          input: { type: 'TELEGRAM', name, credentials: { telegram: credentials } },
        });
      const both = Promise.all([create('First'), create('Second')]);
      // The first to read the bot's webhook is answered once the other has either read it too
      // (both would then find it unset) or waits for the first to finish connecting.
      await waitFor(
        async () =>
          gate.holding() === 2 || (await accountLockAwaited(api.db, 'telegram', credentials)),
        { intervalMs: 20, what: 'the second connection to reach the webhook' },
      );
      gate.open();
      const created = (await both).map((result) => result.data.createChannel.data);
      const set = created.filter(
        (channel) => channel.statusDetail === 'Verified: @sendflow_test_bot, webhook set',
      );
      expect(set).toHaveLength(1);
      const [winner] = set;
      const loser = created.find((channel) => channel !== winner);
      expect(loser.status).toBe('CONNECTED');
      expect(loser.statusDetail).toContain(
        `the webhook was not set: the bot's webhook points at another Sendflow channel (${winner.id}, at https://sendflow.example.com)`,
      );
      expect(telegram.calls('setWebhook')).toHaveLength(1);
      expect(telegram.webhook?.url).toBe(winner.callback.url);
    } finally {
      endpoints.TELEGRAM_API_URL = telegram.url;
      await gate.close();
    }
  });
});
