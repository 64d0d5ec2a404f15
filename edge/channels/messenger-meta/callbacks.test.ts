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
