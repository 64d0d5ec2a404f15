import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startViberBotApi, type ViberBotApi } from '../../../test/fakes/viber-bot-api';
import type { CallbackChannel } from '../callbacks';
import type { ConnectionContext } from '../connection';
import { viberBotCallbacks } from './callbacks';
import { viberBotConnection } from './connection';
import { VIBER_TEST, viberChannel } from './test-fixtures';

let viber: ViberBotApi;
let receiver: Server;
let receiverUrl: string;
const received: string[] = [];

beforeAll(async () => {
  viber = await startViberBotApi({ authToken: VIBER_TEST.authToken, allowHttpWebhook: true });
  // Our side of Viber's webhook check: the callbacks' signature verification answers it.
  const channel: CallbackChannel = { ...viberChannel(), callbackToken: null };
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const verdict = await viberBotCallbacks.verify(
        {
          headers: new Headers(request.headers as Record<string, string>),
          body,
          url: 'https://sendflow.test/callbacks',
        },
        channel,
      );
      received.push(verdict);
      response.writeHead(verdict === 'ok' ? 200 : 403).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks/viber/x`;
});

afterAll(async () => {
  await viber?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

function context(url: string): ConnectionContext {
  return {
    endpoints: { VIBER_API_URL: viber.url },
    allowPrivateUrls: false,
    timeoutMs: 5_000,
    callback: { url, token: null },
  };
}

describe('connecting a Viber bot', () => {
  test('a plain-HTTP callback URL leaves the bot verified, saying the webhook was not set ("Webhook URL must use SSL")', async () => {
    const strict = await startViberBotApi({ authToken: VIBER_TEST.authToken });
    try {
      const result = await viberBotConnection.verify(viberChannel(), {
        ...context(receiverUrl),
        endpoints: { VIBER_API_URL: strict.url },
      });
      expect(result).toEqual({
        verdict: 'verified',
        detail: expect.stringMatching(/^Sendflow Test; the webhook was not set: .*invalidUrl/),
      });
      expect(strict.webhook).toBeNull();
    } finally {
      await strict.close();
    }
  });

  test('the account info proves the token; set_webhook registers our URL, which answers Viber’s signed check', async () => {
    expect(await viberBotConnection.verify(viberChannel(), context(receiverUrl))).toEqual({
      verdict: 'verified',
      detail: 'Sendflow Test, webhook set',
    });
    expect(received).toEqual(['ok']);
    expect(viber.webhook).toEqual({
      url: receiverUrl,
      event_types: [
        'delivered',
        'seen',
        'failed',
        'subscribed',
        'unsubscribed',
        'conversation_started',
      ],
      send_name: true,
      send_photo: false,
    });
  });

  test('a URL that does not answer the check leaves the bot verified without a webhook, saying so', async () => {
    expect(
      await viberBotConnection.verify(
        viberChannel(),
        context('http://127.0.0.1:1/callbacks/viber/x'),
      ),
    ).toEqual({
      verdict: 'verified',
      detail: 'Sendflow Test; the webhook was not set: Viber REST Bot API status 1 (invalidUrl)',
    });
  });

  test('a token Viber refuses rejects the channel', async () => {
    expect(
      await viberBotConnection.verify(
        viberChannel({ credentials: { authToken: 'wrong' } }),
        context(receiverUrl),
      ),
    ).toEqual({
      verdict: 'rejected',
      problem: 'Viber REST Bot API status 2 (invalidAuthToken)',
    });
  });
});

describe('an account whose webhook serves another channel', () => {
  /** Sets the account's webhook as its owner would, outside Sendflow ("Setting a Webhook"). */
  async function ownerSetsWebhook(url: string) {
    const answer = await fetch(`${viber.url}/pa/set_webhook`, {
      method: 'POST',
      headers: { 'x-viber-auth-token': VIBER_TEST.authToken, 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    expect(answer.status).toBe(200);
  }

  test('is not moved: the account keeps its webhook, and the detail says why', async () => {
    const other = receiverUrl.replace(/x$/, '9e9f1f6e-1111-4222-8333-555555555555');
    await ownerSetsWebhook(other);
    expect(viber.webhook?.url).toBe(other);
    try {
      const result = await viberBotConnection.verify(viberChannel(), context(receiverUrl));
      expect(result).toEqual({
        verdict: 'verified',
        detail: `Sendflow Test; the webhook was not set: the account's webhook points at another Sendflow channel (9e9f1f6e-1111-4222-8333-555555555555, at ${new URL(receiverUrl).origin}), and an account has one webhook, so moving it would take its messages from there; remove it there (delete that channel, or set_webhook with an empty URL), then verify this channel`,
      });
      expect(viber.webhook?.url).toBe(other);
    } finally {
      await ownerSetsWebhook('');
    }
  });
});

describe('releasing a Viber bot', () => {
  const paths = () => viber.requests.map((request) => request.path);

  test('set_webhook with an empty URL removes the webhook while it is this channel’s', async () => {
    await viberBotConnection.verify(viberChannel(), context(receiverUrl));
    viber.requests.length = 0;
    expect(await viberBotConnection.release?.(viberChannel(), context(receiverUrl))).toEqual({
      verdict: 'released',
      detail: 'webhook removed',
    });
    expect(paths()).toEqual(['/pa/get_account_info', '/pa/set_webhook']);
    const [removal] = viber.calls('set_webhook', VIBER_TEST.authToken);
    expect(removal?.json).toEqual({ url: '' });
    expect(viber.webhook).toBeNull();
  });

  test('a webhook that points elsewhere (the account moved to another channel) is kept', async () => {
    await viberBotConnection.verify(viberChannel(), context(receiverUrl));
    viber.requests.length = 0;
    const ours =
      'https://sendflow.example.com/callbacks/viber/0d9f1f6e-1111-4222-8333-444444444444';
    expect(await viberBotConnection.release?.(viberChannel(), context(ours))).toEqual({
      verdict: 'kept',
      detail: "the account's webhook is not this channel's",
    });
    expect(paths()).toEqual(['/pa/get_account_info']);
    expect(viber.webhook?.url).toBe(receiverUrl);
  });

  test('a token Viber refuses is rejected, without removing anything', async () => {
    await viberBotConnection.verify(viberChannel(), context(receiverUrl));
    viber.requests.length = 0;
    expect(
      await viberBotConnection.release?.(
        viberChannel({ credentials: { authToken: 'wrong' } }),
        context(receiverUrl),
      ),
    ).toEqual({
      verdict: 'rejected',
      problem: 'Viber REST Bot API status 2 (invalidAuthToken)',
    });
    expect(paths()).toEqual(['/pa/get_account_info']);
    expect(viber.webhook?.url).toBe(receiverUrl);
  });

  test('an unreachable API concludes nothing', async () => {
    const result = await viberBotConnection.release?.(viberChannel(), {
      ...context(receiverUrl),
      endpoints: { VIBER_API_URL: 'http://127.0.0.1:1' },
    });
    expect(result?.verdict).toBe('unreachable');
  });
});
