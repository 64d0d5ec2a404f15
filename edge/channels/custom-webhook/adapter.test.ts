import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { v7 } from 'uuid';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/fakes/webhook-receiver';
import type { RenderedMessage } from '../../render/types';
import { generateSigningSecret } from '../../security/standard-webhooks';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ChannelRecord, OutboundMessage } from '../types';

let secret: string;
let receiver: WebhookReceiver;
let worker: AdapterWorker;

beforeAll(async () => {
  secret = generateSigningSecret();
  receiver = await startWebhookReceiver(secret);
  worker = await startAdapterWorker();
});

afterAll(async () => {
  await worker?.dispose();
  await receiver?.close();
});

beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respondWith((_request, index) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: `msg_${index + 1}` }),
  }));
});

const contact = {
  id: 'contact-1',
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: null,
  phone: '+15550100',
};

function customChannel(overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id: 'channel-custom',
    type: 'custom',
    provider: 'webhook',
    name: 'Our app',
    settings: { url: receiver.url },
    credentials: { signingSecret: secret },
    ...overrides,
  };
}

function outbound(
  rendered: RenderedMessage = { kind: 'text', text: 'Hi Ada' },
  channel = customChannel(),
  deliveryId: string = crypto.randomUUID(),
): OutboundMessage {
  return {
    deliveryId,
    workspaceId: 'workspace-1',
    channel,
    recipient: contact.id,
    contact,
    rendered,
  };
}

const local = { allowPrivateUrls: true };

test('posts the rendered message as JSON, signed per Standard Webhooks, with the idempotency key', async () => {
  const message = outbound();
  const outcome = await worker.send(message, local);
  expect(outcome).toEqual({ status: 'sent', providerMessageId: 'msg_1' });

  expect(receiver.requests).toHaveLength(1);
  const [request] = receiver.requests;
  expect(request?.method).toBe('POST');
  expect(request?.signatureError).toBeUndefined();
  expect(request?.idempotencyKey).toBe(message.deliveryId);
  expect(request?.headers['webhook-id']).toBe(message.deliveryId);
  expect(request?.headers['content-type']).toBe('application/json');
  expect(request?.json).toEqual({
    id: message.deliveryId,
    type: 'message',
    timestamp: expect.any(String),
    workspaceId: 'workspace-1',
    channel: { id: 'channel-custom', name: 'Our app' },
    recipient: contact.id,
    contact,
    message: { kind: 'text', text: 'Hi Ada' },
  });
});

test('a retried delivery carries the same idempotency key and webhook-id', async () => {
  const message = outbound();
  await worker.send(message, local);
  await worker.send(message, local);
  const keys = receiver.requests.map((request) => [
    request.idempotencyKey,
    request.headers['webhook-id'],
  ]);
  expect(keys).toEqual([
    [message.deliveryId, message.deliveryId],
    [message.deliveryId, message.deliveryId],
  ]);
});

test('a retry posts the very payload its Idempotency-Key was first sent with, timed at the first attempt', async () => {
  // draft-ietf-httpapi-idempotency-key-header: a key "MUST NOT be reused with another request
  // with a different request payload" (a fingerprinting endpoint answers 422 otherwise).
  const firstAttempt = new Date('2030-01-02T10:00:00.000Z');
  const message = outbound(undefined, undefined, v7({ msecs: firstAttempt.getTime() }));
  await worker.send(message, { ...local, now: new Date('2030-01-02T10:00:01Z') });
  await worker.send(message, { ...local, now: new Date('2030-01-02T10:00:31Z') });
  const [first, retry] = receiver.requests;
  expect(retry?.body).toBe(first?.body);
  expect(first?.json).toMatchObject({ timestamp: firstAttempt.toISOString() });
  // The signed webhook-timestamp stays each attempt's own (Standard Webhooks' replay window).
  expect(first?.headers['webhook-timestamp']).not.toBe(retry?.headers['webhook-timestamp']);
});

test('a media message carries the file URL', async () => {
  const media: RenderedMessage = {
    kind: 'media',
    url: 'https://files.example.com/menu.pdf',
    fileName: 'menu.pdf',
    contentType: 'application/pdf',
    caption: 'Our menu',
  };
  await worker.send(outbound(media), local);
  expect(receiver.requests[0]?.json).toMatchObject({ message: media });
});

test('a 2xx without a JSON id records the delivery id as the provider id', async () => {
  receiver.respondWith(() => ({ status: 202 }));
  const message = outbound();
  expect(await worker.send(message, local)).toEqual({
    status: 'sent',
    providerMessageId: message.deliveryId,
  });
});

describe('status codes become outcomes', () => {
  const cases: Array<[number, Record<string, unknown>]> = [
    [401, { reason: 'credentials_rejected', retryable: false }],
    [403, { reason: 'credentials_rejected', retryable: false }],
    [400, { reason: 'rejected_by_provider', retryable: false }],
    [404, { reason: 'rejected_by_provider', retryable: false }],
    [422, { reason: 'rejected_by_provider', retryable: false }],
    [500, { reason: 'network', retryable: true }],
    [502, { reason: 'network', retryable: true }],
    [503, { reason: 'network', retryable: true }],
  ];
  for (const [status, expected] of cases) {
    test(`HTTP ${status}`, async () => {
      receiver.respondWith(() => ({ status, body: 'nope' }));
      expect(await worker.send(outbound(), local)).toMatchObject({
        status: 'failed',
        detail: expect.stringContaining(`HTTP ${status}`),
        ...expected,
      });
    });
  }

  test('HTTP 429 is rate_limited and retried after Retry-After', async () => {
    receiver.respondWith(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    expect(await worker.send(outbound(), local)).toMatchObject({
      status: 'failed',
      reason: 'rate_limited',
      retryable: true,
      retryAfterSeconds: 30,
    });
  });

  test('HTTP 410 Gone fails permanently and puts the channel in error (Standard Webhooks)', async () => {
    receiver.respondWith(() => ({ status: 410, body: 'gone' }));
    expect(await worker.send(outbound(), local)).toMatchObject({
      status: 'failed',
      reason: 'rejected_by_provider',
      retryable: false,
      channelError: true,
      detail: expect.stringContaining('HTTP 410'),
    });
  });

  test('an endpoint certificate Cloudflare cannot validate (526) fails at once, as a misconfigured channel', async () => {
    // A Worker's fetch to an origin with an expired, self-signed or mismatched certificate is
    // answered 526 by Cloudflare's edge: not a passing server error, so not retried.
    receiver.respondWith(() => ({ status: 526, body: 'error code: 526' }));
    const outcome = await worker.send(outbound(), local);
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
      retryable: false,
      detail: expect.stringContaining('TLS certificate'),
    });
    expect(outcome).not.toHaveProperty('channelError');
  });

  test('HTTP 409 to a retry (its Idempotency-Key still being processed) is retried, not a refusal', async () => {
    receiver.respondWith(() => ({
      status: 409,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '20' },
      body: JSON.stringify({ title: 'A request is outstanding for this Idempotency-Key' }),
    }));
    expect(await worker.send(outbound(), local)).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: true,
      retryAfterSeconds: 20,
      detail: expect.stringContaining('HTTP 409'),
    });
  });

  test('other refusals leave the channel alone', async () => {
    receiver.respondWith(() => ({ status: 404, body: 'nope' }));
    const outcome = await worker.send(outbound(), local);
    expect(outcome).toMatchObject({ status: 'failed', retryable: false });
    expect(outcome).not.toHaveProperty('channelError');
  });

  test('a redirect is not followed and fails permanently', async () => {
    receiver.respondWith(() => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }));
    expect(await worker.send(outbound(), local)).toMatchObject({
      status: 'failed',
      reason: 'rejected_by_provider',
      retryable: false,
    });
    expect(receiver.requests).toHaveLength(1);
  });
});

test('an endpoint that does not answer in time is a retryable network failure', async () => {
  receiver.respondWith(() => ({ status: 200, delayMs: 2_000 }));
  const outcome = await worker.send(outbound(), { ...local, timeoutMs: 300 });
  expect(outcome).toMatchObject({
    status: 'failed',
    reason: 'network',
    retryable: true,
    detail: expect.stringContaining('300 ms'),
  });
});

test('a 2xx whose body never finishes is sent (the endpoint took it), not a retry that would post it twice', async () => {
  const stalled = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":"msg_');
      // …and nothing more: the connection stays open past the send's timeout.
    });
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = stalled.address() as AddressInfo;
    const message = outbound(
      { kind: 'text', text: 'Hi Ada' },
      customChannel({ settings: { url: `http://127.0.0.1:${port}/hook` } }),
    );
    const outcome = await worker.send(message, { ...local, timeoutMs: 500 });
    expect(outcome).toEqual({ status: 'sent', providerMessageId: message.deliveryId });
  } finally {
    stalled.closeAllConnections();
    await new Promise((resolve) => stalled.close(resolve));
  }
});

test('an endpoint that is down is a retryable network failure', async () => {
  const down = await startWebhookReceiver(secret);
  await down.close();
  expect(
    await worker.send(outbound(undefined, customChannel({ settings: { url: down.url } })), local),
  ).toMatchObject({
    status: 'failed',
    reason: 'network',
    retryable: true,
  });
});

test('a private endpoint is refused without a request when private targets are not allowed', async () => {
  const outcome = await worker.send(outbound(), { allowPrivateUrls: false });
  expect(outcome).toMatchObject({
    status: 'failed',
    reason: 'channel_not_connected',
    retryable: false,
    detail: expect.stringContaining('loopback'),
  });
  expect(receiver.requests).toHaveLength(0);
});

test('a malformed signing secret is credentials_rejected without a request', async () => {
  const channel = customChannel({ credentials: { signingSecret: 'whsec_***not base64***' } });
  expect(await worker.send(outbound(undefined, channel), local)).toMatchObject({
    status: 'failed',
    reason: 'credentials_rejected',
    retryable: false,
  });
  expect(receiver.requests).toHaveLength(0);
});

test('a channel without an endpoint or a secret is not connected', async () => {
  for (const channel of [customChannel({ settings: {} }), customChannel({ credentials: {} })]) {
    expect(await worker.send(outbound(undefined, channel), local)).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
      retryable: false,
    });
  }
});
