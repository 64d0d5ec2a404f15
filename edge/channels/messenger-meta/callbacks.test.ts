import { describe, expect, test } from 'vitest';
import {
  messagingDelivery,
  messagingRead,
  messagingText,
  messagingWebhook,
  metaSignature,
} from '../../../test/fakes/meta-webhooks';
import type { CallbackChannel } from '../callbacks';
import { messengerMetaCallbacks } from './callbacks';
import { MESSENGER_TEST_PAGE, messengerChannel, TEST_PSID } from './test-fixtures';

const channel: CallbackChannel = { ...messengerChannel(), callbackToken: 'verify-messenger' };
const page = MESSENGER_TEST_PAGE.pageId;
const at = new Date('2030-01-02T10:00:00.123Z');
const encoder = new TextEncoder();

function parse(payload: unknown) {
  return messengerMetaCallbacks.parse(JSON.stringify(payload), channel);
}

describe('the subscription handshake and the signature', () => {
  test("answers Meta's challenge with the channel's verify token only", () => {
    const query = (token: string) =>
      new URLSearchParams({
        'hub.mode': 'subscribe',
        'hub.verify_token': token,
        'hub.challenge': '42',
      });
    expect(messengerMetaCallbacks.handshake?.(query('verify-messenger'), channel)).toEqual({
      status: 200,
      body: '42',
    });
    expect(messengerMetaCallbacks.handshake?.(query('guess'), channel)?.status).toBe(403);
  });

  test('X-Hub-Signature-256 with the app secret holds; missing, forged or over other bytes does not', async () => {
    const body = JSON.stringify(
      messagingWebhook('page', page, [messagingText(TEST_PSID, page, 'm_1', 'hi')]),
    );
    const verify = (bytes: string, signature?: string) =>
      messengerMetaCallbacks.verify(
        {
          headers: new Headers(signature ? { 'x-hub-signature-256': signature } : {}),
          body: encoder.encode(bytes),
          url: 'https://sendflow.test/callbacks',
        },
        channel,
      );
    expect(await verify(body, metaSignature(MESSENGER_TEST_PAGE.appSecret, body))).toBe('ok');
    expect(await verify(body)).toBe('missing');
    expect(await verify(body, metaSignature('not-the-secret', body))).toBe('invalid');
    expect(await verify(`${body}\n`, metaSignature(MESSENGER_TEST_PAGE.appSecret, body))).toBe(
      'invalid',
    );
  });
});

describe('payloads become provider-neutral events', () => {
  test('a message from a person names them by PSID, with its mid and time', () => {
    expect(
      parse(
        messagingWebhook('page', page, [
          messagingText(TEST_PSID, page, 'm_in1', 'Open today?', at),
        ]),
      ),
    ).toEqual([
      {
        kind: 'inbound',
        eventKey: 'm_in1',
        channelId: channel.id,
        providerMessageId: 'm_in1',
        from: { address: TEST_PSID, name: null },
        at: at.toISOString(),
        content: { type: 'text', text: 'Open today?' },
      },
    ]);
  });

  test('an image attachment is media; an echo of our own message is skipped', () => {
    const image = {
      ...messagingText(TEST_PSID, page, 'm_img', '', at),
      message: {
        mid: 'm_img',
        attachments: [{ type: 'image', payload: { url: 'https://scontent.example/x.jpg' } }],
      },
    };
    const echo = {
      ...messagingText(page, TEST_PSID, 'm_echo', 'our own', at),
      message: { mid: 'm_echo', text: 'our own', is_echo: true },
    };
    expect(parse(messagingWebhook('page', page, [image, echo]))).toEqual([
      expect.objectContaining({
        kind: 'inbound',
        content: {
          type: 'media',
          mediaType: 'image',
          caption: null,
          fileName: null,
          mimeType: null,
          providerMediaId: 'https://scontent.example/x.jpg',
        },
      }),
    ]);
  });

  test('a delivery gives a status per mid and a watermark up to its time; a read gives a read watermark', () => {
    const watermark = new Date('2030-01-02T10:05:00Z');
    expect(
      parse(
        messagingWebhook('page', page, [
          messagingDelivery(TEST_PSID, page, watermark, ['m_out1']),
          messagingRead(TEST_PSID, page, { watermark }),
        ]),
      ),
    ).toEqual([
      {
        kind: 'status',
        eventKey: 'm_out1:delivered',
        channelId: channel.id,
        providerMessageId: 'm_out1',
        deliveryId: null,
        status: 'delivered',
        at: watermark.toISOString(),
        failure: null,
      },
      {
        kind: 'watermark',
        eventKey: `${TEST_PSID}:delivered:${watermark.toISOString()}`,
        channelId: channel.id,
        recipient: TEST_PSID,
        status: 'delivered',
        at: watermark.toISOString(),
      },
      {
        kind: 'watermark',
        eventKey: `${TEST_PSID}:read:${watermark.toISOString()}`,
        channelId: channel.id,
        recipient: TEST_PSID,
        status: 'read',
        at: watermark.toISOString(),
      },
    ]);
  });

  test('entries about another Page, Instagram payloads and what is not JSON are not ours', () => {
    const event = messagingText(TEST_PSID, '999', 'm_x', 'hi');
    expect(parse(messagingWebhook('page', '999', [event]))).toEqual([]);
    expect(parse(messagingWebhook('instagram', page, [event]))).toEqual([]);
    expect(messengerMetaCallbacks.parse('not json', channel)).toEqual([]);
  });
});

describe('timestamps no Date or Postgres can hold', () => {
  test('skip their event, not the webhook: nothing throws (a 500 would make Meta retry forever)', () => {
    const watermark = new Date('2030-01-02T10:05:00Z');
    const events = [
      // Beyond a Date (±8.64e15 ms), and past the year 9999.
      { ...messagingText(TEST_PSID, page, 'm_far', 'hi', at), timestamp: 1e16 },
      { ...messagingText(TEST_PSID, page, 'm_late', 'hi', at), timestamp: 1e15 },
      {
        ...messagingDelivery(TEST_PSID, page, watermark, ['m_o1']),
        delivery: { mids: ['m_o1'], watermark: 1e300 },
      },
      {
        ...messagingRead(TEST_PSID, page, { watermark }, at),
        read: { watermark: 253402300800000 },
      },
      messagingText(TEST_PSID, page, 'm_ok', 'hi', at),
    ];
    expect(
      parse(messagingWebhook('page', page, events)).map((event) => [event.kind, event.eventKey]),
    ).toEqual([['inbound', 'm_ok']]);
  });
});

describe('links and button taps', () => {
  test('a shared link (a fallback attachment) is its text, or its URL as text', () => {
    const shared = (mid: string, text: string | undefined) => ({
      ...messagingText(TEST_PSID, page, mid, '', at),
      message: {
        mid,
        ...(text ? { text } : {}),
        attachments: [
          { type: 'fallback', payload: { url: 'https://example.com/menu', title: 'Menu' } },
        ],
      },
    });
    expect(
      parse(
        messagingWebhook('page', page, [
          shared('m_l1', 'see https://example.com/menu'),
          shared('m_l2', undefined),
        ]),
      ).map((event) => event.kind === 'inbound' && event.content),
    ).toEqual([
      { type: 'text', text: 'see https://example.com/menu' },
      { type: 'text', text: 'https://example.com/menu' },
    ]);
  });

  test('a postback (messaging_postbacks) is what the person tapped, keyed by its mid', () => {
    const tap = {
      sender: { id: TEST_PSID },
      recipient: { id: page },
      timestamp: at.getTime(),
      postback: { mid: 'm_pb1', title: 'Get Started', payload: 'GET_STARTED' },
    };
    expect(
      parse(messagingWebhook('page', page, [tap, { ...tap, postback: { title: 'x' } }])),
    ).toEqual([
      {
        kind: 'inbound',
        eventKey: 'm_pb1',
        channelId: channel.id,
        providerMessageId: 'm_pb1',
        from: { address: TEST_PSID, name: null },
        at: at.toISOString(),
        content: { type: 'other', providerType: 'postback', text: 'Get Started' },
      },
    ]);
  });
});

describe('attachments other than plain media', () => {
  test('a sticker is sticker media; a shared reel says what it is by its title or URL', () => {
    const withAttachment = (mid: string, attachment: Record<string, unknown>) => ({
      ...messagingText(TEST_PSID, page, mid, '', at),
      message: { mid, attachments: [attachment] },
    });
    expect(
      parse(
        messagingWebhook('page', page, [
          withAttachment('m_st', {
            type: 'image',
            payload: { url: 'https://scontent.example/like.png', sticker_id: 369239263222822 },
          }),
          withAttachment('m_reel', {
            type: 'ig_reel',
            payload: { url: 'https://ig.example/r/1', title: 'Latte art', reel_video_id: '1' },
          }),
          withAttachment('m_post', { type: 'post', payload: { url: 'https://fb.example/p/2' } }),
        ]),
      ).map((event) => event.kind === 'inbound' && event.content),
    ).toEqual([
      {
        type: 'media',
        mediaType: 'sticker',
        caption: null,
        fileName: null,
        mimeType: null,
        providerMediaId: 'https://scontent.example/like.png',
      },
      { type: 'other', providerType: 'ig_reel', text: 'Latte art' },
      { type: 'other', providerType: 'post', text: 'https://fb.example/p/2' },
    ]);
  });
});
