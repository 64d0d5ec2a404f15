import { describe, expect, test } from 'vitest';
import {
  incomingLocation,
  incomingMessage,
  statusCallback,
  twilioJsonWebhook,
  twilioWebhookSignature,
  withExplicitPort,
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

  // Vectors from twilio-node's own validation spec (spec/validation.spec.js), token "12345".
  const sdkParams = new URLSearchParams({
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  });
  const sdkUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';

  test('holds whether Twilio signed the URL with or without its port (twilio-node vectors)', async () => {
    // Signed without a port, called on port 1234.
    expect(
      await verifyTwilioSignature(
        '12345',
        sdkUrl.replace('.com', '.com:1234'),
        sdkParams,
        'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
      ),
    ).toBe('ok');
    // Signed with the default port written out (https :443, http :80), called without it.
    expect(
      await verifyTwilioSignature('12345', sdkUrl, sdkParams, 'kvajT1Ptam85bY51eRf/AJRuM3w='),
    ).toBe('ok');
    expect(
      await verifyTwilioSignature(
        '12345',
        sdkUrl.replace('https', 'http'),
        sdkParams,
        '0ZXoZLH/DfblKGATFgpif+LLRf4=',
      ),
    ).toBe('ok');
  });

  test('a signature over our URL with :443 verifies; another port does not', async () => {
    expect(
      await verify(
        params,
        twilioWebhookSignature(TWILIO_TEST_IDS.authToken, withExplicitPort(URL), params),
      ),
    ).toBe('ok');
    const otherPort = URL.replace('example.com', 'example.com:8443');
    expect(
      await verify(params, twilioWebhookSignature(TWILIO_TEST_IDS.authToken, otherPort, params)),
    ).toBe('invalid');
  });

  test('a JSON webhook verifies by its bodySHA256 (twilio-node vector) and not when changed', async () => {
    const body = '{"property": "value", "boolean": true}';
    const hashed = `${sdkUrl}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`;
    const check = (url: string, text: string, signature?: string) =>
      sms.verify(
        {
          headers: new Headers(signature ? { 'x-twilio-signature': signature } : {}),
          body: encoder.encode(text),
          url,
        },
        { ...channel, credentials: { ...channel.credentials, authToken: '12345' } },
      );
    expect(await check(hashed, body, 'a9nBmqA0ju/hNViExpshrM61xv4=')).toBe('ok');
    // Another body under the same signed URL: the hash no longer matches.
    expect(await check(hashed, body.replace('true', 'false'), 'a9nBmqA0ju/hNViExpshrM61xv4=')).toBe(
      'invalid',
    );
    expect(await check(hashed, body)).toBe('missing');

    // The stand-in's JSON webhooks to our URL: valid, forged.
    const json = JSON.stringify({ MessageSid: 'SM1', MessageStatus: 'delivered' });
    const valid = twilioJsonWebhook(URL, json, TWILIO_TEST_IDS.authToken);
    const signature = new Headers(valid.init.headers).get('x-twilio-signature') ?? undefined;
    expect(await verify({}, undefined, valid.url)).toBe('missing');
    const headers = new Headers({ 'x-twilio-signature': signature ?? '' });
    expect(await sms.verify({ headers, body: encoder.encode(json), url: valid.url }, channel)).toBe(
      'ok',
    );
    // The same signature over the URL without its bodySHA256 is not a form webhook's.
    expect(await sms.verify({ headers, body: encoder.encode(json), url: URL }, channel)).toBe(
      'invalid',
    );
    const forged = twilioJsonWebhook(URL, json, TWILIO_TEST_IDS.authToken, 'forged');
    expect(
      await sms.verify(
        { headers: new Headers(forged.init.headers), body: encoder.encode(json), url: forged.url },
        channel,
      ),
    ).toBe('invalid');
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

const waChannel: CallbackChannel = { ...channel, type: 'whatsapp' };

/** A WhatsApp message from +14155550199 to our number, parsed as the WhatsApp channel's. */
function parseWhatsAppMessage(body: string, extra: Record<string, string>) {
  return whatsapp.parse(
    form(
      incomingMessage(
        TWILIO_TEST_IDS.accountSid,
        'whatsapp:+14155550199',
        `whatsapp:${TWILIO_TEST_IDS.fromNumber}`,
        body,
        extra,
      ),
    ),
    waChannel,
  );
}

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
    const [event] = parseWhatsAppMessage('Hola', {
      ProfileName: 'Sheena Nelson',
      WaId: '14155550199',
    });
    expect(event).toMatchObject({ from: { address: '+14155550199', name: 'Sheena Nelson' } });
    // The same message is not an SMS channel's.
    expect(
      sms.parse(
        form(incomingMessage(TWILIO_TEST_IDS.accountSid, 'whatsapp:+14155550199', 'x', 'Hola')),
        channel,
      ),
    ).toEqual([]);
  });

  describe('a shared location is recorded as on the other channels', () => {
    const parseLocation = (
      location: Parameters<typeof incomingLocation>[3],
      extra: Record<string, string> = {},
    ) =>
      whatsapp.parse(
        form(
          incomingLocation(
            TWILIO_TEST_IDS.accountSid,
            'whatsapp:+14155550199',
            `whatsapp:${TWILIO_TEST_IDS.fromNumber}`,
            location,
            extra,
          ),
        ),
        waChannel,
      );

    test('a place is its label and address (the reference example)', () => {
      expect(
        parseLocation(
          {
            latitude: '51.51322977399644',
            longitude: '-0.2197976373036567',
            address: '187 Freston Road, London, Greater London W10 6TH',
            label: 'The Harrow Club',
          },
          { ProfileName: 'Sheena Nelson', WaId: '14155550199' },
        ),
      ).toEqual([
        expect.objectContaining({
          kind: 'inbound',
          from: { address: '+14155550199', name: 'Sheena Nelson' },
          content: {
            type: 'other',
            providerType: 'location',
            text: 'The Harrow Club, 187 Freston Road, London, Greater London W10 6TH',
          },
        }),
      ]);
    });

    test('a dropped pin is its coordinates; a place with only one of label and address is that one', () => {
      const [pin] = parseLocation({
        latitude: '51.51322977399644',
        longitude: '-0.2197976373036567',
      });
      expect(pin).toMatchObject({
        content: {
          type: 'other',
          providerType: 'location',
          text: '51.51322977399644, -0.2197976373036567',
        },
      });
      const [labelled] = parseLocation({
        latitude: '1',
        longitude: '2',
        label: 'Gate 4',
        address: '',
      });
      expect(labelled).toMatchObject({ content: { text: 'Gate 4' } });
      const [addressed] = parseLocation({ latitude: '1', longitude: '2', address: 'Pier 39' });
      expect(addressed).toMatchObject({ content: { text: 'Pier 39' } });
    });

    test('malformed coordinates are not recorded, and never make the callback fail', () => {
      const malformed = [
        { latitude: 'north', longitude: '-0.21' },
        { latitude: '91', longitude: '10' },
        { latitude: '10', longitude: '-180.5' },
        { latitude: '9'.repeat(400), longitude: '1' },
        { latitude: 'Infinity', longitude: '1' },
        { latitude: '   ', longitude: '2' },
        { latitude: '0x1g', longitude: '' },
      ];
      for (const location of malformed) {
        const events = parseLocation(location);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          kind: 'inbound',
          content: { type: 'other', providerType: 'location', text: null },
        });
      }
      // What is valid is kept: the address of a place whose coordinates are garbage.
      const [kept] = parseLocation({ latitude: 'x', longitude: 'y', address: 'Pier 39' });
      expect(kept).toMatchObject({ content: { text: 'Pier 39' } });
    });

    test('a location with no valid parameter keeps the Body it came with', () => {
      const [event] = parseWhatsAppMessage('Here I am', { Latitude: 'x' });
      expect(event).toMatchObject({
        content: { type: 'other', providerType: 'location', text: 'Here I am' },
      });
    });

    test('a message without location parameters is still text', () => {
      const [event] = parseWhatsAppMessage('Hola', { Latitude: '', Longitude: '' });
      expect(event).toMatchObject({ content: { type: 'text', text: 'Hola' } });
    });
  });

  test("a callback about another Twilio account is not this channel's", () => {
    expect(sms.parse(form(statusCallback('AC-other', 'SM1', 'delivered')), channel)).toEqual([]);
  });
});
