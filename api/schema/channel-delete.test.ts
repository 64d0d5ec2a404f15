import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { channels } from '../../db/schema';
import { TELEGRAM_TEST } from '../../edge/channels/telegram-bot/test-fixtures';
import { VIBER_TEST } from '../../edge/channels/viber-bot/test-fixtures';
import { waitFor } from '../../edge/dispatch/test-seed';
import { startJsonServer } from '../../test/fakes/json-server';
import {
  clearWebhook,
  startTelegramBotApi,
  type TelegramBotApi,
} from '../../test/fakes/telegram-bot-api';
import { startViberBotApi, type ViberBotApi } from '../../test/fakes/viber-bot-api';
import {
  accountLockAwaited,
  gatedProvider,
  type Json,
  TEST_CHANNEL_INPUTS,
  type TestWorkspace,
  UNREACHABLE_PROVIDER,
  unreachableProviders,
  useTestApi,
} from '../test-support';

/**
 * Deleting a channel releases the webhook connecting registered with its provider (Telegram
 * `deleteWebhook`, Viber `set_webhook` with an empty URL), best effort, after the row is gone;
 * replacing a bot's token releases the old bot.
 */

// Viber checks a webhook URL by posting to it at once, so the channels' callback URLs live on
// a local stand-in for this deployment that answers 200. Their origin must be known when the
// API is built.
const deployment = await startJsonServer({ answer: () => ({ status: 200, body: {} }) });
afterAll(() => deployment.close());

/** Every provider unreachable unless a test points it at its stand-in (read per request). */
const endpoints = unreachableProviders();
const api = useTestApi({ providerEndpoints: endpoints, publicUrl: deployment.url });

/** A second bot the Telegram stand-in knows, for replacing a channel's token. */
const OTHER_BOT = { token: '7098765432:AAHother-telegram-bot-token_98765', username: 'other_bot' };
/** A third bot, for two replacements of one channel's token at once. */
const THIRD_BOT = { token: '7055555555:AAHthird-telegram-bot-token_55555', username: 'third_bot' };
const REFUSED_TOKEN = '7012345678:AAH-revoked-token-000000000000';

let telegram: TelegramBotApi;
let viber: ViberBotApi;

beforeAll(async () => {
  telegram = await startTelegramBotApi({
    token: TELEGRAM_TEST.token,
    otherBots: [OTHER_BOT, THIRD_BOT],
    allowHttpWebhook: true,
  });
  viber = await startViberBotApi({ authToken: VIBER_TEST.authToken, allowHttpWebhook: true });
});
afterAll(async () => {
  await telegram?.close();
  await viber?.close();
});

beforeEach(async () => {
  endpoints.TELEGRAM_API_URL = telegram.url;
  endpoints.VIBER_API_URL = viber.url;
  // Each test connects the bots afresh: a webhook left by the last one would not be moved.
  await clearWebhook(telegram, TELEGRAM_TEST.token);
  await clearWebhook(telegram, OTHER_BOT.token);
  await clearWebhook(telegram, THIRD_BOT.token);
  telegram.requests.length = 0;
  viber.requests.length = 0;
});

/** The JSON log lines written while a test runs (the console is silenced, not bypassed). */
let logLines: Json[];
beforeEach(() => {
  logLines = [];
  for (const level of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((line: unknown) => {
      if (typeof line === 'string' && line.startsWith('{')) logLines.push(JSON.parse(line));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const releaseLines = () =>
  logLines
    .filter((line) => line.msg === 'channel.webhook_release')
    .map(({ time, ...line }) => line);

const CREATE = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { id status statusDetail callback { url } } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateChannelInput!) {
    updateChannel(id: $id, input: $input) {
      ... on MutationUpdateChannelSuccess { data { status statusDetail } }
    }
  }
`;
const VERIFY = /* GraphQL */ `
  mutation ($id: ID!) {
    verifyChannel(id: $id) {
      ... on MutationVerifyChannelSuccess { data { status statusDetail } }
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteChannel(id: $id) {
      __typename
      ... on MutationDeleteChannelSuccess { data }
      ... on NotFoundError { entity id }
    }
  }
`;

async function createChannel(ws: TestWorkspace, input: Record<string, unknown>) {
  const result = await api.gql(ws.apiKey, CREATE, { input });
  expect(result.data.createChannel.__typename).toBe('MutationCreateChannelSuccess');
  return result.data.createChannel.data as {
    id: string;
    status: string;
    statusDetail: string | null;
    callback: { url: string } | null;
  };
}

const telegramInput = (botToken: string = TELEGRAM_TEST.token) => ({
  type: 'TELEGRAM',
  name: 'Bot',
  credentials: { telegram: { botToken } },
});
const viberInput = (authToken: string = VIBER_TEST.authToken) => ({
  type: 'VIBER',
  name: 'Viber bot',
  settings: { viber: { senderName: VIBER_TEST.senderName } },
  credentials: { viber: { authToken } },
});

async function deleteChannel(ws: TestWorkspace, id: string) {
  return (await api.gql(ws.apiKey, DELETE, { id })).data.deleteChannel;
}

async function rowExists(id: string) {
  return (await api.db.select().from(channels).where(eq(channels.id, id))).length > 0;
}

describe('deleting a channel releases the webhook registered with its provider', () => {
  it('Telegram: deleteWebhook with the channel’s bot token, keeping the bot’s pending updates', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput());
    expect(telegram.webhook?.url).toBe(channel.callback?.url);
    telegram.requests.length = 0;

    expect(await deleteChannel(ws, channel.id)).toEqual({
      __typename: 'MutationDeleteChannelSuccess',
      data: channel.id,
    });
    expect(await rowExists(channel.id)).toBe(false);
    expect(telegram.calls('getWebhookInfo', TELEGRAM_TEST.token)).toHaveLength(1);
    expect(telegram.calls('deleteWebhook', TELEGRAM_TEST.token)).toHaveLength(1);
    expect(telegram.droppedPendingUpdates.at(-1)).toBe(false);
    expect(telegram.webhook).toBeNull();
    expect(releaseLines()).toEqual([
      {
        level: 'info',
        msg: 'channel.webhook_release',
        workspaceId: ws.workspaceId,
        channelId: channel.id,
        provider: 'telegram',
        cause: 'channel_deleted',
        verdict: 'released',
        detail: 'webhook deleted',
      },
    ]);
  });

  it('Viber: set_webhook with an empty URL, authenticated with the channel’s token', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, viberInput());
    expect(channel.statusDetail).toBe('Verified: Sendflow Test, webhook set');
    expect(viber.webhook?.url).toBe(channel.callback?.url);
    viber.requests.length = 0;

    expect((await deleteChannel(ws, channel.id)).data).toBe(channel.id);
    expect(await rowExists(channel.id)).toBe(false);
    const removals = viber.calls('set_webhook');
    expect(removals.map((request) => request.json)).toEqual([{ url: '' }]);
    expect(removals[0]?.headers['x-viber-auth-token']).toBe(VIBER_TEST.authToken);
    expect(viber.webhook).toBeNull();
    expect(releaseLines()).toMatchObject([{ provider: 'viber', verdict: 'released' }]);
  });

  it('a bot connected since to another channel keeps its webhook', async () => {
    const ws = await api.createWorkspace();
    const old = await createChannel(ws, telegramInput());
    // The owner frees the bot (connecting would not move a webhook serving another channel),
    // and connects it to another channel.
    await clearWebhook(telegram, TELEGRAM_TEST.token);
    const replacement = await createChannel(ws, { ...telegramInput(), name: 'New bot channel' });
    expect(telegram.webhook?.url).toBe(replacement.callback?.url);

    expect((await deleteChannel(ws, old.id)).data).toBe(old.id);
    expect(telegram.webhook?.url).toBe(replacement.callback?.url);
    expect(releaseLines()).toMatchObject([
      { channelId: old.id, verdict: 'kept', detail: "the bot's webhook is not this channel's" },
    ]);
  });
});

describe('the delete never depends on the provider', () => {
  it('a token Telegram refuses: the channel is deleted and the refusal logged', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput(REFUSED_TOKEN));
    expect(channel.status).toBe('ERROR');
    telegram.requests.length = 0;

    expect((await deleteChannel(ws, channel.id)).data).toBe(channel.id);
    expect(await rowExists(channel.id)).toBe(false);
    expect(telegram.calls('getWebhookInfo', REFUSED_TOKEN)).toHaveLength(1);
    expect(telegram.calls('deleteWebhook')).toEqual([]);
    expect(releaseLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        channelId: channel.id,
        verdict: 'rejected',
        detail: 'Telegram Bot API error 401: Unauthorized',
      }),
    ]);
  });

  it('a token Viber refuses: the channel is deleted and the refusal logged', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, viberInput('not-a-viber-token'));
    expect(channel.status).toBe('ERROR');

    expect((await deleteChannel(ws, channel.id)).data).toBe(channel.id);
    expect(await rowExists(channel.id)).toBe(false);
    expect(releaseLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        verdict: 'rejected',
        detail: 'Viber REST Bot API status 2 (invalidAuthToken)',
      }),
    ]);
  });

  it('an unreachable provider: the channel is deleted and the failure logged', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput());
    endpoints.TELEGRAM_API_URL = UNREACHABLE_PROVIDER;

    expect((await deleteChannel(ws, channel.id)).data).toBe(channel.id);
    expect(await rowExists(channel.id)).toBe(false);
    expect(releaseLines()).toEqual([
      expect.objectContaining({ level: 'warn', channelId: channel.id, verdict: 'unreachable' }),
    ]);
    // Telegram still points the bot at us: its owner must call deleteWebhook.
    expect(telegram.webhook?.url).toBe(channel.callback?.url);
  });
});

describe('a webhook left behind by a deleted channel', () => {
  it('is taken over by the next channel of the same bot; a live channel’s is not', async () => {
    const ws = await api.createWorkspace();
    const gone = await createChannel(ws, telegramInput());
    endpoints.TELEGRAM_API_URL = UNREACHABLE_PROVIDER;
    expect((await deleteChannel(ws, gone.id)).data).toBe(gone.id);
    endpoints.TELEGRAM_API_URL = telegram.url;
    expect(telegram.webhook?.url).toBe(gone.callback?.url);

    const next = await createChannel(ws, { ...telegramInput(), name: 'Reconnected bot' });
    expect(next.statusDetail).toBe('Verified: @sendflow_test_bot, webhook set');
    expect(telegram.webhook?.url).toBe(next.callback?.url);

    // The new channel is live: a third one does not take the bot from it.
    const third = await createChannel(ws, { ...telegramInput(), name: 'Third' });
    expect(third.statusDetail).toContain(
      `the webhook was not set: the bot's webhook points at another Sendflow channel (${next.id}`,
    );
    expect(telegram.webhook?.url).toBe(next.callback?.url);
  });
});

describe('what is not released', () => {
  it('another workspace cannot delete the channel, and so releases nothing', async () => {
    const owner = await api.createWorkspace();
    const other = await api.createWorkspace();
    const channel = await createChannel(owner, telegramInput());
    telegram.requests.length = 0;

    expect(await deleteChannel(other, channel.id)).toEqual({
      __typename: 'NotFoundError',
      entity: 'Channel',
      id: channel.id,
    });
    expect(await rowExists(channel.id)).toBe(true);
    expect(telegram.requests).toEqual([]);
    expect(telegram.webhook?.url).toBe(channel.callback?.url);
    expect(releaseLines()).toEqual([]);

    // Its own workspace can, and that releases the bot.
    expect((await deleteChannel(owner, channel.id)).data).toBe(channel.id);
    expect(telegram.calls('deleteWebhook', TELEGRAM_TEST.token)).toHaveLength(1);
  });

  it('channels whose webhook is not registered through the provider’s API make no call', async () => {
    const ws = await api.createWorkspace();
    const email = await createChannel(ws, {
      type: 'EMAIL',
      name: 'Mail',
      ...TEST_CHANNEL_INPUTS.EMAIL,
    });
    // WhatsApp has callbacks (and a callback token) but its webhook is set in Meta's dashboard.
    const whatsapp = await createChannel(ws, {
      type: 'WHATSAPP',
      name: 'WhatsApp',
      ...TEST_CHANNEL_INPUTS.WHATSAPP,
    });
    // A Telegram channel saved before Telegram took callbacks: no token, no webhook of ours.
    const legacy = await createChannel(ws, telegramInput());
    await api.db.update(channels).set({ callbackToken: null }).where(eq(channels.id, legacy.id));
    const fetchSpy = vi.spyOn(globalThis, 'fetch');

    for (const channel of [email, whatsapp, legacy]) {
      expect((await deleteChannel(ws, channel.id)).data).toBe(channel.id);
    }
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(releaseLines()).toEqual([]);
  });
});

describe('replacing a Telegram bot’s token releases the old bot', () => {
  it('once the new bot verifies, the old bot’s webhook is deleted with the old token', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput());
    expect(telegram.webhookOf(TELEGRAM_TEST.token)?.url).toBe(channel.callback?.url);

    const updated = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: { credentials: { telegram: { botToken: OTHER_BOT.token } } },
    });
    expect(updated.data.updateChannel.data).toEqual({
      status: 'CONNECTED',
      statusDetail: 'Verified: @other_bot, webhook set',
    });
    expect(telegram.webhookOf(OTHER_BOT.token)?.url).toBe(channel.callback?.url);
    expect(telegram.calls('deleteWebhook', TELEGRAM_TEST.token)).toHaveLength(1);
    expect(telegram.webhookOf(TELEGRAM_TEST.token)).toBeNull();
    expect(releaseLines()).toMatchObject([
      { channelId: channel.id, cause: 'credentials_replaced', verdict: 'released' },
    ]);
  });

  it('the same token again, or a new one that does not verify, releases nothing', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput());
    telegram.requests.length = 0;

    for (const botToken of [TELEGRAM_TEST.token, REFUSED_TOKEN]) {
      await api.gql(ws.apiKey, UPDATE, {
        id: channel.id,
        input: { credentials: { telegram: { botToken } } },
      });
    }
    // Connecting reads the bot's webhook before setting it; nothing is deleted.
    expect(telegram.calls('deleteWebhook')).toEqual([]);
    expect(telegram.webhookOf(TELEGRAM_TEST.token)?.url).toBe(channel.callback?.url);
  });
});

describe('saves of one channel while its provider is being asked', () => {
  /**
   * Runs `first` with the Telegram calls `held` selects held, then `second` once `first` is
   * held there, and lets the provider answer `first` once `second` waits for the bot account
   * `first` is connecting (its release of that bot: db/account-locks.ts).
   */
  async function interleaved<A, B>(
    held: string,
    waitedFor: string,
    first: () => Promise<A>,
    second: () => Promise<B>,
  ): Promise<[A, B]> {
    const gate = await gatedProvider(telegram.url, (path) => path === held);
    endpoints.TELEGRAM_API_URL = gate.url;
    try {
      const firstDone = first();
      await waitFor(async () => gate.holding() === 1, { intervalMs: 20, what: 'the held call' });
      const secondDone = second();
      await waitFor(() => accountLockAwaited(api.db, 'telegram', { botToken: waitedFor }), {
        intervalMs: 20,
        what: 'the second save to wait for the bot the first is connecting',
      });
      gate.open();
      return [await firstDone, await secondDone];
    } finally {
      gate.open();
      await gate.close();
    }
  }

  async function storedChannel(id: string) {
    const [row] = await api.db.select().from(channels).where(eq(channels.id, id));
    return { statusDetail: row!.statusDetail, hint: row!.credentialsHint };
  }

  it('two token replacements at once: the later save stays, with its verdict, and the other bots are released', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput());
    const replace = (botToken: string) => () =>
      api.gql(ws.apiKey, UPDATE, {
        id: channel.id,
        input: { credentials: { telegram: { botToken } } },
      });
    // The first update has stored the other bot's token and is asking Telegram about it when
    // the second stores the third bot's.
    await interleaved(
      `/bot${OTHER_BOT.token}/getMe`,
      OTHER_BOT.token,
      replace(OTHER_BOT.token),
      replace(THIRD_BOT.token),
    );
    expect(await storedChannel(channel.id)).toEqual({
      statusDetail: 'Verified: @third_bot, webhook set',
      hint: `••••${THIRD_BOT.token.slice(-4)}`,
    });
    expect(telegram.webhookOf(THIRD_BOT.token)?.url).toBe(channel.callback?.url);
    expect(telegram.webhookOf(OTHER_BOT.token)).toBeNull();
    expect(telegram.webhookOf(TELEGRAM_TEST.token)).toBeNull();
  });

  it("verifyChannel while the token is replaced: its verdict on the old bot is dropped, and the old bot's webhook removed", async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, telegramInput());
    const [verified] = await interleaved(
      `/bot${TELEGRAM_TEST.token}/getMe`,
      TELEGRAM_TEST.token,
      () => api.gql(ws.apiKey, VERIFY, { id: channel.id }),
      () =>
        api.gql(ws.apiKey, UPDATE, {
          id: channel.id,
          input: { credentials: { telegram: { botToken: OTHER_BOT.token } } },
        }),
    );
    const replaced = { status: 'CONNECTED', statusDetail: 'Verified: @other_bot, webhook set' };
    expect(verified.data.verifyChannel.data).toEqual(replaced);
    expect((await storedChannel(channel.id)).statusDetail).toBe(replaced.statusDetail);
    expect(telegram.webhookOf(OTHER_BOT.token)?.url).toBe(channel.callback?.url);
    expect(telegram.webhookOf(TELEGRAM_TEST.token)).toBeNull();
  });
});

describe('a channel deleted while it is being created', () => {
  it('answers NotFoundError, typed, and releases the webhook its check set', async () => {
    const ws = await api.createWorkspace();
    const gate = await gatedProvider(
      telegram.url,
      (path) => path === `/bot${TELEGRAM_TEST.token}/setWebhook`,
    );
    endpoints.TELEGRAM_API_URL = gate.url;
    try {
      const creating = api.gql(
        ws.apiKey,
        `mutation ($input: CreateChannelInput!) {
          createChannel(input: $input) { __typename ... on Error { message } }
        }`,
        { input: telegramInput() },
      );
      // The row is stored before the provider check, which is held at setWebhook.
      await waitFor(async () => gate.holding() === 1, { intervalMs: 20, what: 'the held call' });
      const [row] = await api.db
        .select({ id: channels.id })
        .from(channels)
        .where(eq(channels.workspaceId, ws.workspaceId));
      const deleting = deleteChannel(ws, row!.id);
      await waitFor(async () => !(await rowExists(row!.id)), {
        intervalMs: 20,
        what: 'the delete to remove the row',
      });
      gate.open();
      const [created, deleted] = await Promise.all([creating, deleting]);

      expect(deleted.data).toBe(row!.id);
      expect(created.errors).toBeUndefined();
      expect(created.data.createChannel).toEqual({
        __typename: 'NotFoundError',
        message: `Channel ${row!.id} was not found`,
      });
      expect(await rowExists(row!.id)).toBe(false);
      expect(telegram.webhookOf(TELEGRAM_TEST.token)).toBeNull();
    } finally {
      gate.open();
      await gate.close();
      endpoints.TELEGRAM_API_URL = telegram.url;
    }
  });
});
