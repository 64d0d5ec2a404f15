import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  type LineMessagingApi,
  lineError,
  startLineMessagingApi,
} from '../../../test/fakes/line-messaging-api';
import { mediaLimitProblem } from '../../../workflow/media-limits';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { lineMessagingDefinition } from './definition';
import { LINE_TEST, lineChannel, lineMessage } from './test-fixtures';

let line: LineMessagingApi;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;
/** The stand-in's clock, when a test moves it; the real one otherwise. */
let lineNow: Date | null = null;

beforeAll(async () => {
  line = await startLineMessagingApi({
    accessToken: LINE_TEST.accessToken,
    friends: [LINE_TEST.userId],
    now: () => lineNow ?? new Date(),
  });
  worker = await startAdapterWorker();
  endpoints = { LINE_API_URL: line.url };
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await line?.close();
});

beforeEach(() => {
  line.requests.length = 0;
  line.delivered.length = 0;
  lineNow = null;
});

/** Sends through the adapter in workerd; `now` is the adapter's clock (and, here, LINE's). */
function send(message: ReturnType<typeof lineMessage>, now?: Date) {
  if (now) lineNow = now;
  return worker.send(message, { allowPrivateUrls: false, endpoints, ...(now ? { now } : {}) });
}

describe('pushing through the LINE Messaging API', () => {
  test('a text is pushed with the bearer token and our delivery id as X-Line-Retry-Key', async () => {
    const message = lineMessage({ kind: 'text', text: 'Hi Ada' });
    expect(await send(message)).toEqual({
      status: 'sent',
      providerMessageId: line.delivered[0]?.sentMessages[0]?.id,
    });
    const [request] = line.pushes();
    expect(request?.headers.authorization).toBe(`Bearer ${LINE_TEST.accessToken}`);
    expect(request?.headers['x-line-retry-key']).toBe(message.deliveryId);
    expect(request?.json).toEqual({
      to: LINE_TEST.userId,
      messages: [{ type: 'text', text: 'Hi Ada' }],
    });
  });

  test('an image goes by HTTPS URL, its caption as a text after it', async () => {
    const rendered: RenderedMessage = {
      kind: 'media',
      url: 'https://files.example.com/menu.png',
      fileName: 'menu.png',
      contentType: 'image/png',
      caption: 'Our menu',
    };
    expect(await send(lineMessage(rendered))).toMatchObject({ status: 'sent' });
    expect(line.delivered[0]?.messages).toEqual([
      {
        type: 'image',
        originalContentUrl: 'https://files.example.com/menu.png',
        previewImageUrl: 'https://files.example.com/menu.png',
      },
      { type: 'text', text: 'Our menu' },
    ]);
  });

  test('an image over 1 MB is refused before sending: it is its own preview, and previewImageUrl takes at most 1 MB', () => {
    // Messaging API reference, "Image message": originalContentUrl up to 10 MB, previewImageUrl
    // "Max file size: 1 MB"; both are the same file.
    const facts = (sizeBytes: number) => ({
      name: 'menu.png',
      contentType: 'image/png',
      sizeBytes,
    });
    expect(mediaLimitProblem(lineMessagingDefinition.mediaLimits, facts(1024 * 1024), 'LINE')).toBe(
      null,
    );
    expect(
      mediaLimitProblem(lineMessagingDefinition.mediaLimits, facts(2 * 1024 * 1024), 'LINE'),
    ).toBe('menu.png is 2 MB, over the 1 MB LINE takes for image files');
  });

  test('a re-send after LINE accepted but its answer was lost carries the same retry key, is not delivered twice, and is sent', async () => {
    const message = lineMessage({ kind: 'text', text: 'Only once' });
    line.acceptThenFail(1);
    expect(await send(message)).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: true,
    });
    const again = await send(message);
    expect(again).toEqual({
      status: 'sent',
      providerMessageId: line.delivered[0]?.sentMessages[0]?.id,
      providerDetail: 'accepted on an earlier attempt',
    });
    expect(line.pushes().map((request) => request.headers['x-line-retry-key'])).toEqual([
      message.deliveryId,
      message.deliveryId,
    ]);
    expect(line.delivered).toHaveLength(1);
  });

  test('files other than JPEG/PNG images, plain-HTTP images and templates are invalid content, without a call', async () => {
    for (const rendered of [
      {
        kind: 'media',
        url: 'https://files.example.com/a.pdf',
        fileName: 'a.pdf',
        contentType: 'application/pdf',
      },
      {
        kind: 'media',
        url: 'http://files.example.com/a.png',
        fileName: 'a.png',
        contentType: 'image/png',
      },
      { kind: 'text', text: 'x'.repeat(5001) },
      { kind: 'whatsapp_template', templateName: 'x', languageCode: 'en', parameters: [] },
    ] satisfies RenderedMessage[]) {
      expect(await send(lineMessage(rendered))).toMatchObject({
        status: 'failed',
        reason: 'content_invalid',
        retryable: false,
      });
    }
    expect(line.requests).toHaveLength(0);
  });

  test('a contact without a LINE user id, or a channel without credentials, sends nothing', async () => {
    expect(
      await send(lineMessage({ kind: 'text', text: 'Hi' }, { recipient: '+16505551234' })),
    ).toMatchObject({
      reason: 'no_associated_channel',
    });
    expect(
      await send(
        lineMessage({ kind: 'text', text: 'Hi' }, { channel: lineChannel({ credentials: {} }) }),
      ),
    ).toMatchObject({ reason: 'channel_not_connected' });
    expect(line.requests).toHaveLength(0);
  });

  test('a 5xx is retried after its Retry-After; an unreachable API is a network failure', async () => {
    line.replyNext({ ...lineError(503, 'Service unavailable'), headers: { 'retry-after': '9' } });
    expect(await send(lineMessage({ kind: 'text', text: 'Hi' }))).toMatchObject({
      reason: 'network',
      retryable: true,
      retryAfterSeconds: 9,
    });
    expect(
      await worker.send(lineMessage({ kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { LINE_API_URL: 'http://127.0.0.1:1' },
      }),
    ).toMatchObject({ reason: 'network', retryable: true });
  });
});

describe('a retry key LINE may have forgotten (24 hours after the first request) is never sent', () => {
  const HOUR_MS = 60 * 60 * 1000;
  const firstClaim = new Date('2026-12-01T09:00:00.000Z');
  const sinceFirstClaim = (ms: number) => new Date(firstClaim.getTime() + ms);

  /** The delivery's first attempt: LINE executes the push, but its answer is lost (a 500). */
  async function firstAttemptOutcomeUnknown(message: ReturnType<typeof lineMessage>) {
    line.acceptThenFail(1);
    expect(await send(message, firstClaim)).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: true,
    });
  }

  const keysPushed = (message: ReturnType<typeof lineMessage>) =>
    line
      .pushes()
      .filter((request) => request.headers['x-line-retry-key'] === message.deliveryId)
      .map((request) => request.headers['x-line-retry-key']);

  test('the stand-in, as LINE, answers 409 for a key it executed until 24 hours later, then executes the same push again', async () => {
    const retryKey = crypto.randomUUID();
    const push = (at: Date) => {
      lineNow = at;
      return fetch(`${line.url}/v2/bot/message/push`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${LINE_TEST.accessToken}`,
          'content-type': 'application/json',
          'x-line-retry-key': retryKey,
        },
        body: JSON.stringify({ to: LINE_TEST.userId, messages: [{ type: 'text', text: 'Hi' }] }),
      });
    };
    expect((await push(firstClaim)).status).toBe(200);
    expect((await push(sinceFirstClaim(24 * HOUR_MS - 1))).status).toBe(409);
    expect((await push(sinceFirstClaim(24 * HOUR_MS))).status).toBe(200);
    expect(line.delivered.map((executed) => executed.retryKey)).toEqual([retryKey, retryKey]);
  });

  test('a retry 30 hours after a first attempt whose outcome was unknown calls LINE not at all and fails NETWORK, not retried, saying why', async () => {
    const message = lineMessage({ kind: 'text', text: 'Only once' }, {}, firstClaim);
    await firstAttemptOutcomeUnknown(message);
    const retry = await send(message, sinceFirstClaim(30 * HOUR_MS));
    expect(retry).toEqual({
      status: 'failed',
      reason: 'network',
      retryable: false,
      detail:
        "not sent: this delivery's first attempt was 30 h ago, and LINE's retry key (X-Line-Retry-Key) may have expired (LINE keeps it for 24 hours; we stop at 23), so if an earlier attempt reached LINE, sending again could deliver the message twice",
    });
    expect(keysPushed(message)).toHaveLength(1);
    expect(line.delivered).toHaveLength(1);
  });

  test('the boundary: 1 ms before 23 hours the retry goes with the same key and LINE’s 409 counts as sent; at 23 hours it is not sent', async () => {
    const inside = lineMessage({ kind: 'text', text: 'Inside' }, {}, firstClaim);
    await firstAttemptOutcomeUnknown(inside);
    expect(await send(inside, sinceFirstClaim(23 * HOUR_MS - 1))).toEqual({
      status: 'sent',
      providerMessageId: line.delivered[0]?.sentMessages[0]?.id,
      providerDetail: 'accepted on an earlier attempt',
    });
    expect(keysPushed(inside)).toEqual([inside.deliveryId, inside.deliveryId]);

    const atLimit = lineMessage({ kind: 'text', text: 'At the limit' }, {}, firstClaim);
    await firstAttemptOutcomeUnknown(atLimit);
    expect(await send(atLimit, sinceFirstClaim(23 * HOUR_MS))).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: false,
      detail: expect.stringContaining(
        "first attempt was 23 h ago, and LINE's retry key (X-Line-Retry-Key) may have expired",
      ),
    });
    expect(keysPushed(atLimit)).toHaveLength(1);
    expect(line.delivered.map((executed) => executed.retryKey)).toEqual([
      inside.deliveryId,
      atLimit.deliveryId,
    ]);
  });

  test('a delivery id that is not a UUID version 7 carries no time, so it is not sent either', async () => {
    const message = lineMessage({ kind: 'text', text: 'Hi' }, { deliveryId: crypto.randomUUID() });
    expect(await send(message)).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: false,
      detail: expect.stringContaining(
        'is not a UUID version 7, so the time of its first use is unknown',
      ),
    });
    expect(line.requests).toHaveLength(0);
  });
});
