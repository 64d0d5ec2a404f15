import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../db/schema';
import { TELEGRAM_TEST } from '../../edge/channels/telegram-bot/test-fixtures';
import { startTelegramBotApi, type TelegramBotApi } from '../../test/fakes/telegram-bot-api';
import { useTestApi } from '../test-support';

/** Filled once the stand-in listens; the API reads the same object on every request. */
const endpoints: Record<string, string> = {};
const api = useTestApi({ providerEndpoints: endpoints, publicUrl: 'https://sendflow.example.com' });
let telegram: TelegramBotApi;

beforeAll(async () => {
  telegram = await startTelegramBotApi({ token: TELEGRAM_TEST.token });
  endpoints.TELEGRAM_API_URL = telegram.url;
});
afterAll(() => telegram?.close());

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
});
