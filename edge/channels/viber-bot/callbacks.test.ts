import { describe, expect, test } from 'vitest';
import {
  nextMessageToken,
  viberMessageCallback,
  viberSignature,
  viberStatusCallback,
} from '../../../test/fakes/viber-bot-api';
import type { CallbackChannel } from '../callbacks';
import { viberBotCallbacks } from './callbacks';
import { VIBER_TEST, viberChannel } from './test-fixtures';

const channel: CallbackChannel = { ...viberChannel(), callbackToken: 'unused' };
const at = new Date('2030-01-02T10:00:00Z');
const encoder = new TextEncoder();

function verify(body: string, signature?: string) {
  const headers = new Headers(signature ? { 'x-viber-content-signature': signature } : {});
  return viberBotCallbacks.verify(
    { headers, body: encoder.encode(body), url: 'https://sendflow.test/callbacks' },
    channel,
  );
}

describe('X-Viber-Content-Signature on the raw body', () => {
  const body = viberStatusCallback('delivered', nextMessageToken(), VIBER_TEST.userId, at);

  test('holds for the hex HMAC-SHA256 of the exact bytes with the auth token', async () => {
    expect(await verify(body, viberSignature(VIBER_TEST.authToken, body))).toBe('ok');
  });

  test('is missing without the header; invalid when forged, malformed or over other bytes', async () => {
    expect(await verify(body)).toBe('missing');
    expect(await verify(body, viberSignature('another-token', body))).toBe('invalid');
    expect(await verify(body, 'zz')).toBe('invalid');
    expect(await verify(`${body} `, viberSignature(VIBER_TEST.authToken, body))).toBe('invalid');
  });
});

describe('callbacks become provider-neutral events', () => {
  test('delivered, seen and failed name our message by its exact 64-bit token', () => {
    const token = nextMessageToken();
    const events = (['delivered', 'seen', 'failed'] as const).flatMap((event) =>
      viberBotCallbacks.parse(
        viberStatusCallback(
          event,
          token,
          VIBER_TEST.userId,
          at,
          event === 'failed' ? 'receiver is offline' : undefined,
        ),
        channel,
      ),
    );
    expect(events).toEqual([
      expect.objectContaining({
        status: 'delivered',
        providerMessageId: token,
        eventKey: `${token}:delivered`,
        failure: null,
      }),
      expect.objectContaining({ status: 'read', providerMessageId: token, at: at.toISOString() }),
      expect.objectContaining({
        status: 'failed',
        failure: {
          reason: 'recipient_unavailable',
          detail: 'Viber reported the message failed: receiver is offline',
        },
      }),
    ]);
  });

  test('a message from a user is inbound, with their id and name', () => {
    const token = nextMessageToken();
    expect(
      viberBotCallbacks.parse(
        viberMessageCallback({ id: VIBER_TEST.userId, name: 'Ada Lovelace' }, token, 'Hello', at),
        channel,
      ),
    ).toEqual([
      {
        kind: 'inbound',
        eventKey: `${token}:message`,
        channelId: channel.id,
        providerMessageId: token,
        from: { address: VIBER_TEST.userId, name: 'Ada Lovelace' },
        at: at.toISOString(),
        content: { type: 'text', text: 'Hello' },
      },
    ]);
  });

  test('the webhook check, subscriptions and non-JSON change nothing', () => {
    for (const body of [
      `{"event":"webhook","timestamp":1457764197627,"message_token":${nextMessageToken()}}`,
      `{"event":"subscribed","timestamp":1457764197627,"user":{"id":"x"},"message_token":${nextMessageToken()}}`,
      'nope',
    ]) {
      expect(viberBotCallbacks.parse(body, channel)).toEqual([]);
    }
  });

  test('a callback whose timestamp is no time is skipped, not thrown on', () => {
    const token = nextMessageToken();
    for (const body of [
      viberStatusCallback('delivered', token, VIBER_TEST.userId, at).replace(
        String(at.getTime()),
        '99999999999999999',
      ),
      viberMessageCallback({ id: VIBER_TEST.userId, name: 'Ada' }, token, 'Hi', at).replace(
        String(at.getTime()),
        '1e300',
      ),
    ]) {
      expect(viberBotCallbacks.parse(body, channel)).toEqual([]);
    }
  });
});

describe('every message type "Receive message from user" documents keeps what the user sent', () => {
  /** A signed-shape message callback with `message` as given, the token as raw digits. */
  function messageCallback(token: string, message: Record<string, unknown>): string {
    return `{"event":"message","timestamp":${at.getTime()},"message_token":${token},"sender":${JSON.stringify({ id: VIBER_TEST.userId, name: 'Ada' })},"message":${JSON.stringify(message)}}`;
  }

  function contentOf(message: Record<string, unknown>) {
    const events = viberBotCallbacks.parse(messageCallback(nextMessageToken(), message), channel);
    expect(events).toHaveLength(1);
    return events[0]?.kind === 'inbound' ? events[0].content : null;
  }

  test('a url message is the link as text, as a link typed on any other channel', () => {
    expect(contentOf({ type: 'url', media: 'https://example.com/a?b=1' })).toEqual({
      type: 'text',
      text: 'https://example.com/a?b=1',
    });
  });

  test('a location message is a location whose text is its coordinates', () => {
    expect(contentOf({ type: 'location', location: { lat: 50.76891, lon: 6.11499 } })).toEqual({
      type: 'other',
      providerType: 'location',
      text: '50.76891, 6.11499',
    });
    // Coordinates out of range or missing are not made up.
    expect(contentOf({ type: 'location', location: { lat: 91, lon: 6 } })).toEqual({
      type: 'other',
      providerType: 'location',
      text: null,
    });
  });

  test('a contact message is a contact whose text is its name and phone number', () => {
    expect(
      contentOf({
        type: 'contact',
        contact: { name: 'Grace Hopper', phone_number: '+15550100', avatar: 'https://a/b.jpg' },
      }),
    ).toEqual({ type: 'other', providerType: 'contact', text: 'Grace Hopper +15550100' });
    expect(contentOf({ type: 'contact', contact: { phone_number: '+15550100' } })).toEqual({
      type: 'other',
      providerType: 'contact',
      text: '+15550100',
    });
  });

  test('pictures, videos, files and stickers stay media', () => {
    expect(
      contentOf({ type: 'file', media: 'https://dl/x.pdf', file_name: 'x.pdf', file_size: 10 }),
    ).toMatchObject({ type: 'media', mediaType: 'document', fileName: 'x.pdf' });
    expect(contentOf({ type: 'video', media: 'https://dl/v.mp4', duration: 3 })).toMatchObject({
      type: 'media',
      mediaType: 'video',
      providerMediaId: 'https://dl/v.mp4',
    });
    expect(contentOf({ type: 'sticker', sticker_id: 46105 })).toMatchObject({
      type: 'media',
      mediaType: 'sticker',
      providerMediaId: '46105',
    });
  });
});
