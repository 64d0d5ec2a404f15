import { describe, expect, test } from 'vitest';
import {
  incomingMessage,
  statusCallback,
  twilioWebhookSignature,
} from '../../../test/fakes/twilio';
import type { CallbackChannel } from '../callbacks';
import { twilioCallbacks } from './callbacks';
import { verifyTwilioSignature } from './signature';
import { TWILIO_TEST_IDS, twilioChannel } from './test-fixtures';

const sms = twilioCallbacks('sms');
const whatsapp = twilioCallbacks('whatsapp');
const channel: CallbackChannel = { ...twilioChannel('sms'), callbackToken: null };
const URL = `https://sendflow.example.com/callbacks/twilio/${channel.id}`;
const encoder = new TextEncoder();

function verify(params: Record<string, string>, signature?: string, url = URL) {
  const headers = new Headers(signature ? { 'x-twilio-signature': signature } : {});
  const body = encoder.encode(new URLSearchParams(params).toString());
  return sms.verify({ headers, body, url }, channel);
}

describe('X-Twilio-Signature', () => {
  test("matches Twilio's documented example (URL with a query, five parameters)", async () => {
    const params = new URLSearchParams({
      CallSid: 'CA1234567890ABCDE',
      Caller: '+12349013030',
      Digits: '1234',
      From: '+12349013030',
      To: '+18005551212',
    });
    expect(
      await verifyTwilioSignature(
        '12345',
        'https://mycompany.com/myapp.php?foo=1&bar=2',
        params,
        '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
      ),
    ).toBe('ok');
  });

  const params = statusCallback(TWILIO_TEST_IDS.accountSid, 'SM1', 'delivered');

  test('holds for the auth token over our full URL and the sorted parameters', async () => {
    expect(
      await verify(params, twilioWebhookSignature(TWILIO_TEST_IDS.authToken, URL, params)),
    ).toBe('ok');
  });

  test('a replayed callback verifies again but is the same event, so it has one effect', async () => {
    const signature = twilioWebhookSignature(TWILIO_TEST_IDS.authToken, URL, params);
    expect(await verify(params, signature)).toBe('ok');
    expect(await verify(params, signature)).toBe('ok');
    const body = new URLSearchParams(params).toString();
    expect(sms.parse(body, channel)[0]?.eventKey).toBe(sms.parse(body, channel)[0]?.eventKey);
  });

  test('is missing without the header; invalid when forged, for another URL, or over changed parameters', async () => {
    expect(await verify(params)).toBe('missing');
    expect(await verify(params, twilioWebhookSignature('another-token', URL, params))).toBe(
      'invalid',
    );
    expect(
      await verify(params, twilioWebhookSignature(TWILIO_TEST_IDS.authToken, `${URL}x`, params)),
    ).toBe('invalid');
    const signature = twilioWebhookSignature(TWILIO_TEST_IDS.authToken, URL, params);
    expect(await verify({ ...params, MessageStatus: 'failed' }, signature)).toBe('invalid');
    expect(await verify(params, 'not base64 at all')).toBe('invalid');
  });

  test('nothing verifies for a channel without an auth token', async () => {
    const headers = new Headers({ 'x-twilio-signature': twilioWebhookSignature('', URL, params) });
    const body = encoder.encode(new URLSearchParams(params).toString());
    expect(
      await sms.verify(
        { headers, body, url: URL },
        { ...channel, credentials: { accountSid: 'AC1' } },
      ),
    ).toBe('invalid');
  });
});

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('callbacks become provider-neutral events', () => {
  test('undelivered with ErrorCode 30006 is a failed status with the reason from the table', () => {
    const [event] = sms.parse(
      form(
        statusCallback(TWILIO_TEST_IDS.accountSid, 'SM42', 'undelivered', { ErrorCode: '30006' }),
      ),
      channel,
    );
    expect(event).toEqual({
      kind: 'status',
      eventKey: 'SM42:failed',
      channelId: channel.id,
      providerMessageId: 'SM42',
      deliveryId: null,
      status: 'failed',
      at: expect.any(String),
      failure: {
        reason: 'recipient_unavailable',
        detail: 'Twilio error 30006: Landline or unreachable carrier',
      },
    });
  });

  test('sent, delivered and read map to ours; queued, sending and accepted say nothing new', () => {
    const statuses = ['queued', 'accepted', 'sending', 'sent', 'delivered', 'read'].flatMap(
      (status) =>
        sms.parse(form(statusCallback(TWILIO_TEST_IDS.accountSid, 'SM7', status)), channel),
    );
    expect(statuses.map((event) => event.kind === 'status' && event.status)).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
  });

  test('an incoming SMS names its sender by number; media keeps its type and URL', () => {
    const text = sms.parse(
      form(
        incomingMessage(
          TWILIO_TEST_IDS.accountSid,
          '+14155550199',
          TWILIO_TEST_IDS.fromNumber,
          'STOP?',
        ),
      ),
      channel,
    );
    expect(text).toEqual([
      expect.objectContaining({
        kind: 'inbound',
        from: { address: '+14155550199', name: null },
        content: { type: 'text', text: 'STOP?' },
      }),
    ]);
    const [media] = sms.parse(
      form(
        incomingMessage(
          TWILIO_TEST_IDS.accountSid,
          '+14155550199',
          TWILIO_TEST_IDS.fromNumber,
          '',
          {
            NumMedia: '1',
            MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
            MediaContentType0: 'image/jpeg',
          },
        ),
      ),
      channel,
    );
    expect(media).toMatchObject({
      content: {
        type: 'media',
        mediaType: 'image',
        mimeType: 'image/jpeg',
        providerMediaId: expect.stringContaining('/Media/ME1'),
      },
    });
  });

  test('an incoming WhatsApp message drops the whatsapp: prefix and takes the profile name', () => {
    const [event] = whatsapp.parse(
      form(
        incomingMessage(
          TWILIO_TEST_IDS.accountSid,
          'whatsapp:+14155550199',
          `whatsapp:${TWILIO_TEST_IDS.fromNumber}`,
          'Hola',
          { ProfileName: 'Sheena Nelson', WaId: '14155550199' },
        ),
      ),
      { ...channel, type: 'whatsapp' },
    );
    expect(event).toMatchObject({ from: { address: '+14155550199', name: 'Sheena Nelson' } });
    // The same message is not an SMS channel's.
    expect(
      sms.parse(
        form(incomingMessage(TWILIO_TEST_IDS.accountSid, 'whatsapp:+14155550199', 'x', 'Hola')),
        channel,
      ),
    ).toEqual([]);
  });

  test("a callback about another Twilio account is not this channel's", () => {
    expect(sms.parse(form(statusCallback('AC-other', 'SM1', 'delivered')), channel)).toEqual([]);
  });
});
