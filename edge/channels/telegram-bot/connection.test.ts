import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  ownerSetsWebhook as setWebhookAsOwner,
  startTelegramBotApi,
  type TelegramBotApi,
} from '../../../test/fakes/telegram-bot-api';
import type { ConnectionContext } from '../connection';
import { telegramBotConnection } from './connection';
import { TELEGRAM_TEST, telegramChannel } from './test-fixtures';

let telegram: TelegramBotApi;
let context: ConnectionContext;

beforeAll(async () => {
  telegram = await startTelegramBotApi({ token: TELEGRAM_TEST.token, username: 'acme_bot' });
  context = {
    endpoints: { TELEGRAM_API_URL: telegram.url },
    allowPrivateUrls: false,
    timeoutMs: 5_000,
    callback: {
      url: 'https://sendflow.example.com/callbacks/telegram/0d9f1f6e-1111-4222-8333-444444444444',
      token: 'tok_ABCdef-123456789012345678901',
    },
  };
});

afterAll(() => telegram?.close());

/** Sets the bot's webhook as its owner would, outside Sendflow ("" removes it). */
function ownerSetsWebhook(url: string) {
  return setWebhookAsOwner(telegram, TELEGRAM_TEST.token, url);
}

beforeEach(async () => {
  // Each test starts with a bot that has no webhook.
  await ownerSetsWebhook('');
  telegram.requests.length = 0;
});

describe('connecting a Telegram bot', () => {
  test('getMe proves the token, then setWebhook points the bot at our callback URL with the secret token', async () => {
    expect(await telegramBotConnection.verify(telegramChannel(), context)).toEqual({
      verdict: 'verified',
      detail: '@acme_bot, webhook set',
    });
    expect(telegram.requests.map((request) => request.path.split('/')[2])).toEqual([
      'getMe',
      'getWebhookInfo',
      'setWebhook',
    ]);
    expect(telegram.webhook).toEqual({
      url: context.callback?.url,
      secret_token: context.callback?.token,
      allowed_updates: ['message'],
    });
  });

  test('a token Telegram refuses rejects the channel, without setting a webhook', async () => {
    const channel = telegramChannel({
      credentials: { botToken: '7012345678:AAH-revoked-token-000000000000' },
    });
    expect(await telegramBotConnection.verify(channel, context)).toEqual({
      verdict: 'rejected',
      problem: 'Telegram Bot API error 401: Unauthorized',
    });
    expect(telegram.requests.map((request) => request.path.split('/')[2])).toEqual(['getMe']);
  });

  test('a webhook URL Telegram refuses (not HTTPS) leaves the bot verified, saying so', async () => {
    const result = await telegramBotConnection.verify(telegramChannel(), {
      ...context,
      callback: { url: 'http://127.0.0.1:8787/callbacks/telegram/x', token: 'tok' },
    });
    expect(result).toEqual({
      verdict: 'verified',
      detail:
        '@acme_bot; the webhook was not set: Telegram Bot API error 400: Bad Request: bad webhook: HTTPS url must be provided for webhook',
    });
  });

  test('an HTTPS webhook URL on a port Telegram does not serve leaves the bot verified, saying so ("setWebhook": ports 443, 80, 88, 8443)', async () => {
    const result = await telegramBotConnection.verify(telegramChannel(), {
      ...context,
      callback: { url: 'https://sendflow.example.com:8787/callbacks/telegram/x', token: 'tok' },
    });
    expect(result).toEqual({
      verdict: 'verified',
      detail:
        '@acme_bot; the webhook was not set: Telegram Bot API error 400: Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443',
    });
    // The supported ports, written out or not, are taken.
    for (const url of [
      'https://sendflow.example.com:8443/callbacks/telegram/x',
      'https://sendflow.example.com:443/callbacks/telegram/x',
    ]) {
      expect(
        await telegramBotConnection.verify(telegramChannel(), {
          ...context,
          callback: { url, token: 'tok' },
        }),
      ).toEqual({ verdict: 'verified', detail: '@acme_bot, webhook set' });
    }
  });

  test("a webhook of another Sendflow channel is not moved: the bot's messages keep going there", async () => {
    const other =
      'https://sendflow.example.com/callbacks/telegram/9e9f1f6e-1111-4222-8333-555555555555';
    await ownerSetsWebhook(other);
    telegram.requests.length = 0;
    expect(await telegramBotConnection.verify(telegramChannel(), context)).toEqual({
      verdict: 'verified',
      detail:
        "@acme_bot; the webhook was not set: the bot's webhook points at another Sendflow channel (9e9f1f6e-1111-4222-8333-555555555555, at https://sendflow.example.com), and a bot has one webhook, so moving it would take its messages from there; remove it there (delete that channel, or call deleteWebhook), then verify this channel",
    });
    expect(telegram.requests.map((request) => request.path.split('/')[2])).toEqual([
      'getMe',
      'getWebhookInfo',
    ]);
    expect(telegram.webhook?.url).toBe(other);
  });

  test("another service's webhook is not moved either, and only its origin is shown", async () => {
    await ownerSetsWebhook('https://bots.example.net/hook/secret-path-123');
    const result = await telegramBotConnection.verify(telegramChannel(), context);
    expect(result).toMatchObject({ verdict: 'verified' });
    const detail = result.verdict === 'verified' ? result.detail : '';
    expect(detail).toContain(
      "the webhook was not set: the bot's webhook points at another address (https://bots.example.net)",
    );
    expect(detail).not.toContain('secret-path');
    expect(telegram.calls('setWebhook')).toHaveLength(1); // the owner's own call
    expect(telegram.webhook?.url).toBe('https://bots.example.net/hook/secret-path-123');
  });

  test("this channel's own webhook, registered at another address, is set again", async () => {
    const path = new URL(context.callback!.url).pathname;
    await ownerSetsWebhook(`https://old-tunnel.example.org${path}`);
    expect(await telegramBotConnection.verify(telegramChannel(), context)).toEqual({
      verdict: 'verified',
      detail: '@acme_bot, webhook set',
    });
    expect(telegram.webhook?.url).toBe(context.callback?.url);
  });

  test('an unreachable Bot API concludes nothing', async () => {
    const result = await telegramBotConnection.verify(telegramChannel(), {
      ...context,
      endpoints: { TELEGRAM_API_URL: 'http://127.0.0.1:1' },
    });
    expect(result.verdict).toBe('unreachable');
  });
});

describe('releasing a Telegram bot', () => {
  const methods = () => telegram.requests.map((request) => request.path.split('/')[2]);

  test('deleteWebhook removes the webhook while it is this channel’s, keeping pending updates', async () => {
    await telegramBotConnection.verify(telegramChannel(), context);
    telegram.requests.length = 0;
    expect(await telegramBotConnection.release?.(telegramChannel(), context)).toEqual({
      verdict: 'released',
      detail: 'webhook deleted',
    });
    expect(methods()).toEqual(['getWebhookInfo', 'deleteWebhook']);
    expect(telegram.calls('deleteWebhook', TELEGRAM_TEST.token)).toHaveLength(1);
    expect(telegram.droppedPendingUpdates.at(-1)).toBe(false);
    expect(telegram.webhook).toBeNull();
  });

  test('a webhook that points elsewhere (the bot moved to another channel) is kept', async () => {
    const elsewhere = {
      url: 'https://sendflow.example.com/callbacks/telegram/9e9f1f6e-1111-4222-8333-555555555555',
      token: 'tok_other-channel-000000000000000',
    };
    await telegramBotConnection.verify(telegramChannel(), { ...context, callback: elsewhere });
    telegram.requests.length = 0;
    expect(await telegramBotConnection.release?.(telegramChannel(), context)).toEqual({
      verdict: 'kept',
      detail: "the bot's webhook is not this channel's",
    });
    expect(methods()).toEqual(['getWebhookInfo']);
    expect(telegram.webhook?.url).toBe(elsewhere.url);
  });

  test('a token Telegram refuses is rejected, without deleting anything', async () => {
    await telegramBotConnection.verify(telegramChannel(), context);
    telegram.requests.length = 0;
    const channel = telegramChannel({
      credentials: { botToken: '7012345678:AAH-revoked-token-000000000000' },
    });
    expect(await telegramBotConnection.release?.(channel, context)).toEqual({
      verdict: 'rejected',
      problem: 'Telegram Bot API error 401: Unauthorized',
    });
    expect(methods()).toEqual(['getWebhookInfo']);
    expect(telegram.webhook?.url).toBe(context.callback?.url);
  });

  test('an unreachable Bot API concludes nothing', async () => {
    const result = await telegramBotConnection.release?.(telegramChannel(), {
      ...context,
      endpoints: { TELEGRAM_API_URL: 'http://127.0.0.1:1' },
    });
    expect(result?.verdict).toBe('unreachable');
  });
});
