import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../db/schema';
import { TELEGRAM_TEST } from '../../edge/channels/telegram-bot/test-fixtures';
import { type JsonServer, startJsonServer } from '../../test/fakes/json-server';
import {
  clearWebhook,
  startTelegramBotApi,
  type TelegramBotApi,
  telegramError,
} from '../../test/fakes/telegram-bot-api';
import { unreachableProviders, useTestApi } from '../test-support';

/**
 * Saving and verifying a channel against its provider: what a caller's own `status` may not
 * override, what of a provider's error text lands in `statusDetail`, and a channel deleted
 * while its check registers the webhook.
 */

const endpoints = unreachableProviders();
const api = useTestApi({ providerEndpoints: endpoints, publicUrl: 'https://sendflow.example.com' });

let telegram: TelegramBotApi;
beforeAll(async () => {
  telegram = await startTelegramBotApi({ token: TELEGRAM_TEST.token });
});
afterAll(() => telegram?.close());
beforeEach(async () => {
  endpoints.TELEGRAM_API_URL = telegram.url;
  // Each test connects the bot afresh: a webhook left by the last one would not be moved.
  await clearWebhook(telegram, TELEGRAM_TEST.token);
  telegram.requests.length = 0;
});

const FIELDS = 'id status statusDetail callback { url verifyToken }';
const CREATE = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { ${FIELDS} } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateChannelInput!) {
    updateChannel(id: $id, input: $input) {
      __typename
      ... on MutationUpdateChannelSuccess { data { ${FIELDS} } }
      ... on NotFoundError { entity id }
    }
  }
`;
const VERIFY = /* GraphQL */ `
  mutation ($id: ID!) {
    verifyChannel(id: $id) {
      __typename
      ... on MutationVerifyChannelSuccess { data { ${FIELDS} } }
      ... on NotFoundError { entity id }
    }
  }
`;

const telegramInput = (botToken: string = TELEGRAM_TEST.token) => ({
  type: 'TELEGRAM',
  name: 'Bot',
  credentials: { telegram: { botToken } },
});

async function createTelegram(apiKey: string) {
  const result = await api.gql(apiKey, CREATE, { input: telegramInput() });
  expect(result.data.createChannel.__typename).toBe('MutationCreateChannelSuccess');
  return result.data.createChannel.data as { id: string; status: string };
}

describe('updateChannel', () => {
  it('a status CONNECTED sent with credentials the provider refuses leaves the channel in ERROR', async () => {
    const ws = await api.createWorkspace();
    const channel = await createTelegram(ws.apiKey);
    expect(channel.status).toBe('CONNECTED');
    // A form that sends the whole channel back (status included) with a mistyped token.
    const result = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: {
        status: 'CONNECTED',
        credentials: { telegram: { botToken: '7000000000:AAH-mistyped-token-00000000000' } },
      },
    });
    expect(result.data.updateChannel.data).toMatchObject({
      status: 'ERROR',
      statusDetail: expect.stringContaining('401'),
    });
  });

  it('a status the caller sets still wins when nothing was refused (switching off, switching on)', async () => {
    const ws = await api.createWorkspace();
    const channel = await createTelegram(ws.apiKey);
    const off = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: {
        status: 'DISCONNECTED',
        credentials: { telegram: { botToken: '7000000000:AAH-mistyped-token-00000000000' } },
      },
    });
    expect(off.data.updateChannel.data.status).toBe('DISCONNECTED');
    const on = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: { status: 'CONNECTED', credentials: { telegram: { botToken: TELEGRAM_TEST.token } } },
    });
    expect(on.data.updateChannel.data.status).toBe('CONNECTED');
  });
});

describe("a provider's error text in statusDetail", () => {
  let provider: JsonServer;
  beforeAll(async () => {
    // A Bot API error answer ("Making requests": `description` is free text) that is long and
    // carries line breaks and terminal escapes.
    const description = `Bad Request: ${'x'.repeat(5_000)}\n\u001b[31mforged line\r\n\u202Eevil`;
    provider = await startJsonServer({ answer: () => telegramError(400, description) });
  });
  afterAll(() => provider?.close());

  it('is one line of bounded length, whatever the provider answered', async () => {
    const ws = await api.createWorkspace();
    endpoints.TELEGRAM_API_URL = provider.url;
    const result = await api.gql(ws.apiKey, CREATE, { input: telegramInput() });
    const channel = result.data.createChannel.data;
    expect(channel.status).toBe('ERROR');
    expect(channel.statusDetail).toMatch(/^Telegram Bot API error 400: Bad Request: x+/);
    expect(channel.statusDetail.length).toBeLessThanOrEqual(500);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused
    expect(channel.statusDetail).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
  });
});

describe('a channel deleted while its check registers the webhook', () => {
  /**
   * A proxy in front of the Telegram stand-in that deletes the channel's row (as a concurrent
   * deleteChannel would) just before Telegram takes the setWebhook, then forwards it.
   */
  let proxy: JsonServer;
  let deleteDuringSetWebhook: string | null = null;
  beforeAll(async () => {
    proxy = await startJsonServer({
      async answer(request) {
        if (request.path.endsWith('/setWebhook') && deleteDuringSetWebhook) {
          await api.db.delete(channels).where(eq(channels.id, deleteDuringSetWebhook));
        }
        const response = await fetch(`${telegram.url}${request.path}`, {
          method: request.method,
          headers: { 'content-type': 'application/json' },
          ...(request.raw ? { body: request.raw } : {}),
        });
        return { status: response.status, body: await response.json() };
      },
    });
  });
  afterAll(() => proxy?.close());

  for (const mutation of ['updateChannel', 'verifyChannel'] as const) {
    it(`${mutation} answers NotFoundError and removes the webhook it has just set`, async () => {
      const ws = await api.createWorkspace();
      const channel = await createTelegram(ws.apiKey);
      expect(telegram.webhook?.url).toBe(
        `https://sendflow.example.com/callbacks/telegram/${channel.id}`,
      );
      endpoints.TELEGRAM_API_URL = proxy.url;
      deleteDuringSetWebhook = channel.id;
      try {
        const result =
          mutation === 'updateChannel'
            ? await api.gql(ws.apiKey, UPDATE, {
                id: channel.id,
                input: { credentials: { telegram: { botToken: TELEGRAM_TEST.token } } },
              })
            : await api.gql(ws.apiKey, VERIFY, { id: channel.id });
        expect(result.data[mutation]).toEqual({
          __typename: 'NotFoundError',
          entity: 'Channel',
          id: channel.id,
        });
      } finally {
        deleteDuringSetWebhook = null;
      }
      // The bot's webhook no longer points at a channel that is gone.
      expect(telegram.webhook).toBeNull();
    });
  }
});

describe('deleting a channel reached at another address than it was connected on', () => {
  // No PUBLIC_URL: callback URLs take the origin the API was called on (a tunnel's address
  // that changed since, the workers.dev host beside a custom domain).
  const byOrigin = useTestApi({ providerEndpoints: endpoints });

  async function gqlAt(origin: string, apiKey: string, query: string, variables: object) {
    const response = await byOrigin.yoga.fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data: Record<string, { data?: { id: string } }> };
  }

  let httpTelegram: TelegramBotApi;
  beforeAll(async () => {
    httpTelegram = await startTelegramBotApi({
      token: TELEGRAM_TEST.token,
      allowHttpWebhook: true,
    });
  });
  afterAll(() => httpTelegram?.close());

  it("removes the bot's webhook, which names this channel's callback path", async () => {
    endpoints.TELEGRAM_API_URL = httpTelegram.url;
    const ws = await byOrigin.createWorkspace();
    const created = await gqlAt('https://old-tunnel.example.net', ws.apiKey, CREATE, {
      input: telegramInput(),
    });
    const id = created.data.createChannel?.data?.id;
    expect(httpTelegram.webhook?.url).toBe(
      `https://old-tunnel.example.net/callbacks/telegram/${id}`,
    );
    const deleted = await gqlAt(
      'https://new-tunnel.example.net',
      ws.apiKey,
      'mutation ($id: ID!) { deleteChannel(id: $id) { ... on MutationDeleteChannelSuccess { data } } }',
      { id },
    );
    expect(deleted.data.deleteChannel).toEqual({ data: id });
    expect(httpTelegram.calls('deleteWebhook')).toHaveLength(1);
    expect(httpTelegram.webhook).toBeNull();
  });
});

describe('a channel switched off stays off unless the caller switches it on', () => {
  it('updateChannel with new credentials and no status keeps a switched-off channel off', async () => {
    const ws = await api.createWorkspace();
    const channel = await createTelegram(ws.apiKey);
    await api.gql(ws.apiKey, UPDATE, { id: channel.id, input: { status: 'DISCONNECTED' } });
    const result = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: { credentials: { telegram: { botToken: TELEGRAM_TEST.token } } },
    });
    expect(result.data.updateChannel.data).toMatchObject({
      status: 'DISCONNECTED',
      statusDetail: 'Verified: @sendflow_test_bot, webhook set',
    });
  });

  /**
   * A proxy in front of the Telegram stand-in that, just before Telegram takes the setWebhook
   * of a check, switches the channel off through the API (a second updateChannel, as another
   * user of the dashboard would), then forwards the call.
   */
  let proxy: JsonServer;
  let switchOff: { apiKey: string; id: string } | null = null;
  beforeAll(async () => {
    proxy = await startJsonServer({
      async answer(request) {
        if (request.path.endsWith('/setWebhook') && switchOff) {
          const { apiKey, id } = switchOff;
          switchOff = null;
          const off = await api.gql(apiKey, UPDATE, { id, input: { status: 'DISCONNECTED' } });
          expect(off.data.updateChannel.data.status).toBe('DISCONNECTED');
        }
        const response = await fetch(`${telegram.url}${request.path}`, {
          method: request.method,
          headers: { 'content-type': 'application/json' },
          ...(request.raw ? { body: request.raw } : {}),
        });
        return { status: response.status, body: await response.json() };
      },
    });
  });
  afterAll(() => proxy?.close());

  for (const mutation of ['updateChannel', 'verifyChannel'] as const) {
    it(`a switch-off made while ${mutation} asks the provider is not undone by its verdict`, async () => {
      const ws = await api.createWorkspace();
      const channel = await createTelegram(ws.apiKey);
      endpoints.TELEGRAM_API_URL = proxy.url;
      switchOff = { apiKey: ws.apiKey, id: channel.id };
      const result =
        mutation === 'updateChannel'
          ? await api.gql(ws.apiKey, UPDATE, {
              id: channel.id,
              input: { credentials: { telegram: { botToken: TELEGRAM_TEST.token } } },
            })
          : await api.gql(ws.apiKey, VERIFY, { id: channel.id });
      expect(switchOff).toBeNull();
      expect(result.data[mutation].data).toMatchObject({
        status: 'DISCONNECTED',
        statusDetail: 'Verified: @sendflow_test_bot, webhook set',
      });
    });
  }
});
