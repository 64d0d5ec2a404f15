import { describe, expect, test } from 'vitest';
import { lineSignature, lineTextWebhook } from '../../../test/fakes/line-messaging-api';
import type { CallbackChannel } from '../callbacks';
import { lineMessagingCallbacks } from './callbacks';
import { LINE_TEST, lineChannel } from './test-fixtures';

const channel: CallbackChannel = { ...lineChannel(), callbackToken: 'unused-by-line' };
const at = new Date('2030-01-02T10:00:00Z');
const encoder = new TextEncoder();
const body = JSON.stringify(lineTextWebhook(LINE_TEST.userId, '468789577898262530', 'Hello', at));

function verify(payload: string, signature?: string, on: CallbackChannel = channel) {
  const headers = new Headers(signature ? { 'x-line-signature': signature } : {});
  return lineMessagingCallbacks.verify(
    { headers, body: encoder.encode(payload), url: 'https://sendflow.test/callbacks' },
    on,
  );
}

describe('X-Line-Signature on the raw body', () => {
  test('holds for the base64 HMAC-SHA256 of the exact bytes with the channel secret', async () => {
    expect(await verify(body, lineSignature(LINE_TEST.channelSecret, body))).toBe('ok');
  });

  test('is missing without the header; invalid when forged, malformed, over other bytes, or without a secret', async () => {
    expect(await verify(body)).toBe('missing');
    expect(await verify(body, lineSignature('fedcba9876543210fedcba9876543210', body))).toBe(
      'invalid',
    );
    expect(await verify(body, 'not base64!')).toBe('invalid');
    expect(await verify(`${body} `, lineSignature(LINE_TEST.channelSecret, body))).toBe('invalid');
    expect(
      await verify(body, lineSignature(LINE_TEST.channelSecret, body), {
        ...channel,
        credentials: { channelAccessToken: 'x' },
      }),
    ).toBe('invalid');
  });
});

describe('webhook events become provider-neutral events', () => {
  test("a user's text message, keyed by its webhook event id", () => {
    const payload = JSON.parse(body) as { events: { webhookEventId: string }[] };
    expect(lineMessagingCallbacks.parse(body, channel)).toEqual([
      {
        kind: 'inbound',
        eventKey: payload.events[0]?.webhookEventId,
        channelId: channel.id,
        providerMessageId: '468789577898262530',
        from: { address: LINE_TEST.userId, name: null },
        at: at.toISOString(),
        content: { type: 'text', text: 'Hello' },
      },
    ]);
  });

  test('an image is media fetched later by message id; groups, follows and non-JSON are skipped', () => {
    const image = lineTextWebhook(LINE_TEST.userId, '1001', '', at) as {
      events: Record<string, unknown>[];
    };
    image.events[0]!.message = { id: '1001', type: 'image', contentProvider: { type: 'line' } };
    expect(lineMessagingCallbacks.parse(JSON.stringify(image), channel)).toMatchObject([
      { content: { type: 'media', mediaType: 'image', providerMediaId: '1001' } },
    ]);
    const group = lineTextWebhook(LINE_TEST.userId, '1002', 'hi', at) as {
      events: Record<string, unknown>[];
    };
    group.events[0]!.source = { type: 'group', groupId: 'C1', userId: LINE_TEST.userId };
    const follow = lineTextWebhook(LINE_TEST.userId, '1003', 'hi', at) as {
      events: Record<string, unknown>[];
    };
    follow.events[0]!.type = 'follow';
    for (const payload of [
      JSON.stringify(group),
      JSON.stringify(follow),
      '{"events":[]}',
      'nope',
    ]) {
      expect(lineMessagingCallbacks.parse(payload, channel)).toEqual([]);
    }
  });

  test('an event whose timestamp is no time is skipped, not thrown on: the others are kept', () => {
    const payload = lineTextWebhook(LINE_TEST.userId, '1004', 'hi', at) as {
      events: Record<string, unknown>[];
    };
    const [good] = payload.events;
    const broken = { ...good, webhookEventId: 'broken', timestamp: 1e16 };
    const body = JSON.stringify({ ...payload, events: [broken, good] });
    expect(lineMessagingCallbacks.parse(body, channel)).toMatchObject([
      { providerMessageId: '1004', at: at.toISOString() },
    ]);
  });
});

describe('a shared location keeps what it says, as on the other channels', () => {
  function location(message: Record<string, unknown>) {
    const payload = lineTextWebhook(LINE_TEST.userId, '1005', '', at) as {
      events: Record<string, unknown>[];
    };
    payload.events[0]!.message = { id: '1005', type: 'location', ...message };
    return lineMessagingCallbacks.parse(JSON.stringify(payload), channel);
  }

  test('its title and address, else (a dropped pin has neither) its coordinates', () => {
    expect(
      location({
        title: 'LINE Corporation',
        address: '1-6-1 Yotsuya, Shinjuku-ku, Tokyo',
        latitude: 35.687574,
        longitude: 139.72922,
      }),
    ).toMatchObject([
      {
        content: {
          type: 'other',
          providerType: 'location',
          text: 'LINE Corporation, 1-6-1 Yotsuya, Shinjuku-ku, Tokyo',
        },
      },
    ]);
    expect(location({ latitude: 35.687574, longitude: 139.72922 })).toMatchObject([
      { content: { type: 'other', providerType: 'location', text: '35.687574, 139.72922' } },
    ]);
  });
});
