import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { useTestApi } from '../../../api/test-support';
import {
  clearWebhook,
  type LineMessagingApi,
  ownerSetsWebhook,
  startLineMessagingApi,
} from '../../../test/fakes/line-messaging-api';
import type { ConnectionContext } from '../connection';
import { lineMessagingConnection } from './connection';
import { LINE_TEST, lineChannel } from './test-fixtures';

let line: LineMessagingApi;
let context: ConnectionContext;

/** Filled once the stand-in listens; the API reads the same object on every request. */
const endpoints: Record<string, string> = {};
const api = useTestApi({ providerEndpoints: endpoints, publicUrl: 'https://sendflow.example.com' });

beforeAll(async () => {
  line = await startLineMessagingApi({ accessToken: LINE_TEST.accessToken });
  endpoints.LINE_API_URL = line.url;
  context = {
    endpoints: { LINE_API_URL: line.url },
    allowPrivateUrls: false,
    timeoutMs: 5_000,
    callback: {
      url: 'https://sendflow.example.com/callbacks/line/0d9f1f6e-1111-4222-8333-444444444444',
      token: null,
    },
  };
});

afterAll(() => line?.close());

beforeEach(() => {
  // Each test starts with an account that has no webhook URL, as a new LINE channel has.
  clearWebhook(line);
  line.requests.length = 0;
});

/** The calls made to the stand-in, as "METHOD /path". */
const calls = () => line.requests.map((request) => `${request.method} ${request.path}`);

const OTHER_CHANNEL =
  'https://sendflow.example.com/callbacks/line/9e9f1f6e-1111-4222-8333-555555555555';

describe('connecting a LINE channel', () => {
  test('the bot info proves the token and names the account; the webhook URL, unset (404), is set to ours', async () => {
    expect(await lineMessagingConnection.verify(lineChannel(), context)).toEqual({
      verdict: 'verified',
      detail: 'Sendflow Test (@123abcde), webhook set',
    });
    expect(calls()).toEqual([
      'GET /v2/bot/info',
      'GET /v2/bot/channel/webhook/endpoint',
      'PUT /v2/bot/channel/webhook/endpoint',
    ]);
    expect(line.webhookEndpoint).toBe(context.callback?.url);
  });

  test("a webhook URL of another Sendflow channel is not moved: the account's events keep going there", async () => {
    ownerSetsWebhook(line, OTHER_CHANNEL);
    expect(await lineMessagingConnection.verify(lineChannel(), context)).toEqual({
      verdict: 'verified',
      detail:
        "Sendflow Test (@123abcde); the webhook was not set: the account's webhook points at another Sendflow channel (9e9f1f6e-1111-4222-8333-555555555555, at https://sendflow.example.com), and an account has one webhook, so moving it would take its messages from there; delete that channel, or enter this channel's callback URL as the webhook URL in the LINE Developers Console, then verify this channel",
    });
    expect(calls()).toEqual(['GET /v2/bot/info', 'GET /v2/bot/channel/webhook/endpoint']);
    expect(line.webhookEndpoint).toBe(OTHER_CHANNEL);
  });

  test("another service's webhook URL is not moved either, also with webhooks switched off, and only its origin is shown", async () => {
    for (const active of [true, false]) {
      ownerSetsWebhook(line, 'https://bots.example.net/line/secret-path-123', active);
      const result = await lineMessagingConnection.verify(lineChannel(), context);
      expect(result).toMatchObject({ verdict: 'verified' });
      const detail = result.verdict === 'verified' ? result.detail : '';
      expect(detail).toContain(
        "the webhook was not set: the account's webhook points at another address (https://bots.example.net)",
      );
      expect(detail).not.toContain('secret-path');
      expect(line.webhookEndpoint).toBe('https://bots.example.net/line/secret-path-123');
    }
    expect(calls()).not.toContain('PUT /v2/bot/channel/webhook/endpoint');
  });

  test("this channel's own webhook URL, registered at another address, is set again", async () => {
    const path = new URL(context.callback!.url).pathname;
    ownerSetsWebhook(line, `https://old-tunnel.example.org${path}`);
    expect(await lineMessagingConnection.verify(lineChannel(), context)).toEqual({
      verdict: 'verified',
      detail: 'Sendflow Test (@123abcde), webhook set',
    });
    expect(line.webhookEndpoint).toBe(context.callback?.url);
  });

  test('a URL of a deleted channel of this deployment is taken over; a live one is not', async () => {
    ownerSetsWebhook(line, OTHER_CHANNEL);
    const asked: string[] = [];
    const withDeleted = (deleted: boolean): ConnectionContext => ({
      ...context,
      isDeletedChannelCallback: async (url) => {
        asked.push(url);
        return deleted;
      },
    });
    const kept = await lineMessagingConnection.verify(lineChannel(), withDeleted(false));
    expect(kept.verdict === 'verified' && kept.detail).toContain('the webhook was not set');
    expect(line.webhookEndpoint).toBe(OTHER_CHANNEL);
    expect(await lineMessagingConnection.verify(lineChannel(), withDeleted(true))).toEqual({
      verdict: 'verified',
      detail: 'Sendflow Test (@123abcde), webhook set',
    });
    expect(asked).toEqual([OTHER_CHANNEL, OTHER_CHANNEL]);
    expect(line.webhookEndpoint).toBe(context.callback?.url);
  });

  test('a callback URL LINE refuses (not HTTPS) leaves the channel verified, saying so', async () => {
    const result = await lineMessagingConnection.verify(lineChannel(), {
      ...context,
      callback: { url: 'http://127.0.0.1:8787/callbacks/line/x', token: null },
    });
    expect(result).toEqual({
      verdict: 'verified',
      detail:
        'Sendflow Test (@123abcde); the webhook was not set: LINE Messaging API answered HTTP 400: The request body has 1 error(s); endpoint: must be a valid HTTPS URL',
    });
    expect(line.webhookEndpoint).toBeNull();
  });

  test('a token LINE refuses rejects the channel before the webhook is read; an unreachable API concludes nothing', async () => {
    const channel = lineChannel({
      credentials: { channelAccessToken: 'revoked', channelSecret: LINE_TEST.channelSecret },
    });
    expect(await lineMessagingConnection.verify(channel, context)).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('HTTP 401'),
    });
    expect(calls()).toEqual(['GET /v2/bot/info']);
    expect(
      (
        await lineMessagingConnection.verify(lineChannel(), {
          ...context,
          endpoints: { LINE_API_URL: 'http://127.0.0.1:1' },
        })
      ).verdict,
    ).toBe('unreachable');
  });

  test('a channel secret that is not 32 hex digits is refused before any call', async () => {
    const channel = lineChannel({
      credentials: { channelAccessToken: LINE_TEST.accessToken, channelSecret: 'short' },
    });
    expect(await lineMessagingConnection.verify(channel, context)).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('channelSecret'),
    });
    expect(calls()).toEqual([]);
  });
});

describe('LINE channels saved through the API', () => {
  const CREATE = /* GraphQL */ `
    mutation ($input: CreateChannelInput!) {
      createChannel(input: $input) {
        ... on MutationCreateChannelSuccess { data { id status statusDetail callback { url } } }
      }
    }
  `;
  const VERIFY = /* GraphQL */ `
    mutation ($id: ID!) {
      verifyChannel(id: $id) { ... on MutationVerifyChannelSuccess { data { statusDetail } } }
    }
  `;
  const DELETE = /* GraphQL */ `
    mutation ($id: ID!) { deleteChannel(id: $id) { ... on MutationDeleteChannelSuccess { data } } }
  `;
  const input = (name: string) => ({
    type: 'LINE',
    name,
    credentials: {
      line: { channelAccessToken: LINE_TEST.accessToken, channelSecret: LINE_TEST.channelSecret },
    },
  });

  async function createChannel(apiKey: string, name: string) {
    const result = await api.gql(apiKey, CREATE, { input: input(name) });
    return result.data.createChannel.data as {
      id: string;
      status: string;
      statusDetail: string;
      callback: { url: string };
    };
  }

  test("a deleted channel's webhook URL (LINE's API cannot remove it) is taken over by the next channel of the account; a live channel's is not", async () => {
    const ws = await api.createWorkspace();
    const gone = await createChannel(ws.apiKey, 'LINE');
    expect(gone.statusDetail).toBe('Verified: Sendflow Test (@123abcde), webhook set');
    expect((await api.gql(ws.apiKey, DELETE, { id: gone.id })).data.deleteChannel.data).toBe(
      gone.id,
    );
    expect(line.webhookEndpoint).toBe(gone.callback.url);

    const next = await createChannel(ws.apiKey, 'LINE again');
    expect(next).toMatchObject({
      status: 'CONNECTED',
      statusDetail: 'Verified: Sendflow Test (@123abcde), webhook set',
    });
    expect(line.webhookEndpoint).toBe(next.callback.url);

    // The new channel is live: a channel of another workspace does not take the account from
    // it, and still sends (CONNECTED), saying where the webhook points.
    const other = await api.createWorkspace();
    const third = await createChannel(other.apiKey, 'LINE elsewhere');
    expect(third).toMatchObject({
      status: 'CONNECTED',
      statusDetail: `Verified: Sendflow Test (@123abcde); the webhook was not set: the account's webhook points at another Sendflow channel (${next.id}, at https://sendflow.example.com), and an account has one webhook, so moving it would take its messages from there; delete that channel, or enter this channel's callback URL as the webhook URL in the LINE Developers Console, then verify this channel`,
    });
    expect(line.webhookEndpoint).toBe(next.callback.url);
    expect(calls().filter((call) => call.startsWith('PUT'))).toHaveLength(2);
  });

  test("an account serving the owner's own service keeps it until the owner points it at the channel; verifyChannel then sets it", async () => {
    ownerSetsWebhook(line, 'https://bots.example.net/line/secret-path-123');
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws.apiKey, 'LINE');
    expect(channel.status).toBe('CONNECTED');
    expect(channel.statusDetail).toContain(
      "the webhook was not set: the account's webhook points at another address (https://bots.example.net)",
    );
    const again = (await api.gql(ws.apiKey, VERIFY, { id: channel.id })).data;
    expect(again.verifyChannel.data.statusDetail).toBe(channel.statusDetail);
    expect(line.webhookEndpoint).toBe('https://bots.example.net/line/secret-path-123');

    ownerSetsWebhook(line, channel.callback.url);
    const freed = (await api.gql(ws.apiKey, VERIFY, { id: channel.id })).data;
    expect(freed.verifyChannel.data.statusDetail).toBe(
      'Verified: Sendflow Test (@123abcde), webhook set',
    );
    expect(line.webhookEndpoint).toBe(channel.callback.url);
  });
});
