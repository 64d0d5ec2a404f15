import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type LineMessagingApi,
  startLineMessagingApi,
} from '../../../test/fakes/line-messaging-api';
import type { ConnectionContext } from '../connection';
import { lineMessagingConnection } from './connection';
import { LINE_TEST, lineChannel } from './test-fixtures';

let line: LineMessagingApi;
let context: ConnectionContext;

beforeAll(async () => {
  line = await startLineMessagingApi({ accessToken: LINE_TEST.accessToken });
  context = {
    endpoints: { LINE_API_URL: line.url },
    allowPrivateUrls: false,
    timeoutMs: 5_000,
    callback: { url: 'https://sendflow.example.com/callbacks/line/abc', token: null },
  };
});

afterAll(() => line?.close());

describe('connecting a LINE channel', () => {
  test('the bot info proves the token and names the account; the webhook URL is set to ours', async () => {
    expect(await lineMessagingConnection.verify(lineChannel(), context)).toEqual({
      verdict: 'verified',
      detail: 'Sendflow Test (@123abcde), webhook set',
    });
    expect(line.webhookEndpoint).toBe(context.callback?.url);
  });

  test('a token LINE refuses rejects the channel; an unreachable API concludes nothing', async () => {
    const channel = lineChannel({
      credentials: { channelAccessToken: 'revoked', channelSecret: LINE_TEST.channelSecret },
    });
    expect(await lineMessagingConnection.verify(channel, context)).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('HTTP 401'),
    });
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
  });
});
