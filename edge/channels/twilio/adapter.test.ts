import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startTwilio, type TwilioStandIn, twilioError } from '../../../test/fakes/twilio';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderEndpoints } from '../types';
import { TWILIO_TEST_IDS, twilioChannel, twilioMessage } from './test-fixtures';

let twilio: TwilioStandIn;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  twilio = await startTwilio(TWILIO_TEST_IDS);
  worker = await startAdapterWorker();
  endpoints = { TWILIO_API_URL: twilio.url };
}, 180_000);

afterAll(async () => {
  await worker?.dispose();
  await twilio?.close();
});

beforeEach(() => {
  twilio.requests.length = 0;
});

const ORIGIN = 'https://sendflow.example.com';

describe('sending SMS through Twilio', () => {
  test('a text is form-encoded to Messages.json with Basic auth, our status callback, and its segments counted', async () => {
    const message = twilioMessage('sms', { kind: 'text', text: 'Hi Ada, your code is 1234' });
    const outcome = await worker.send(message, {
      allowPrivateUrls: false,
      endpoints,
      callbackOrigin: ORIGIN,
    });
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      segments: 1,
    });
    const [request] = twilio.sends();
    expect(request?.path).toBe(`/2010-04-01/Accounts/${TWILIO_TEST_IDS.accountSid}/Messages.json`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.authorization).toBe(
      `Basic ${btoa(`${TWILIO_TEST_IDS.accountSid}:${TWILIO_TEST_IDS.authToken}`)}`,
    );
    expect(Object.fromEntries(request!.form)).toEqual({
      To: '+14155550123',
      From: TWILIO_TEST_IDS.fromNumber,
      Body: 'Hi Ada, your code is 1234',
      StatusCallback: `${ORIGIN}/callbacks/twilio/${message.channel.id}`,
    });
  });

  test('a long Unicode text is counted in UCS-2 segments of 67', async () => {
    const text = `Zażółć gęślą jaźń ${'ł'.repeat(100)}`;
    const outcome = await worker.send(twilioMessage('sms', { kind: 'text', text }), {
      allowPrivateUrls: false,
      endpoints,
    });
    expect(outcome).toMatchObject({ status: 'sent', segments: 2 });
    // Without PUBLIC_URL no StatusCallback is sent (the Messaging Service's applies).
    expect(twilio.sends()[0]?.form.has('StatusCallback')).toBe(false);
  });

  test('media goes as MediaUrl with the caption as Body (MMS), with no segment count', async () => {
    const outcome = await worker.send(
      twilioMessage('sms', {
        kind: 'media',
        url: 'https://files.example.com/menu.png',
        fileName: 'menu.png',
        contentType: 'image/png',
        caption: 'Our menu',
      }),
      { allowPrivateUrls: false, endpoints },
    );
    expect(outcome).toEqual({ status: 'sent', providerMessageId: expect.stringMatching(/^MM/) });
    expect(Object.fromEntries(twilio.sends()[0]!.form)).toMatchObject({
      MediaUrl: 'https://files.example.com/menu.png',
      Body: 'Our menu',
    });
  });

  test('a channel with a Messaging Service sends through it instead of a From number', async () => {
    const channel = twilioChannel('sms', {
      settings: { messagingServiceSid: TWILIO_TEST_IDS.messagingServiceSid },
    });
    expect(
      await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }, { channel }), {
        allowPrivateUrls: false,
        endpoints,
      }),
    ).toMatchObject({ status: 'sent' });
    const form = twilio.sends()[0]!.form;
    expect(form.get('MessagingServiceSid')).toBe(TWILIO_TEST_IDS.messagingServiceSid);
    expect(form.has('From')).toBe(false);
  });

  test('a body over 1,600 characters is invalid content, without calling Twilio', async () => {
    const outcome = await worker.send(
      twilioMessage('sms', { kind: 'text', text: 'x'.repeat(1601) }),
      {
        allowPrivateUrls: false,
        endpoints,
      },
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
    expect(twilio.requests).toHaveLength(0);
  });

  test('a contact without an E.164 number has no associated channel, without a call', async () => {
    const outcome = await worker.send(
      twilioMessage('sms', { kind: 'text', text: 'Hi' }, { recipient: '0612345678' }),
      { allowPrivateUrls: false, endpoints },
    );
    expect(outcome).toMatchObject({ status: 'failed', reason: 'no_associated_channel' });
    expect(twilio.requests).toHaveLength(0);
  });

  test('a channel with neither a sender number nor a Messaging Service is not connected', async () => {
    const channel = twilioChannel('sms', { settings: {} });
    const outcome = await worker.send(
      twilioMessage('sms', { kind: 'text', text: 'Hi' }, { channel }),
      {
        allowPrivateUrls: false,
        endpoints,
      },
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
      detail: expect.stringContaining('fromNumber or messagingServiceSid is required'),
    });
    expect(twilio.requests).toHaveLength(0);
  });

  test('a wrong auth token is credentials_rejected (20003)', async () => {
    const channel = twilioChannel('sms', {
      credentials: { accountSid: TWILIO_TEST_IDS.accountSid, authToken: 'wrong' },
    });
    expect(
      await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }, { channel }), {
        allowPrivateUrls: false,
        endpoints,
      }),
    ).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: 'Twilio error 20003: Authenticate',
    });
  });

  test('a 503 without a Twilio error is a transient network failure after its Retry-After', async () => {
    twilio.replyNext({ status: 503, body: 'unavailable', headers: { 'retry-after': '9' } });
    expect(
      await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints,
      }),
    ).toMatchObject({ status: 'failed', reason: 'network', retryable: true, retryAfterSeconds: 9 });
  });

  test('Twilio unreachable is a transient network failure', async () => {
    expect(
      await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { TWILIO_API_URL: 'http://127.0.0.1:1' },
      }),
    ).toMatchObject({ status: 'failed', reason: 'network', retryable: true });
  });
});

describe('sending WhatsApp through Twilio', () => {
  test('addresses are whatsapp:+E164 on both sides, with no SMS segments', async () => {
    const outcome = await worker.send(twilioMessage('whatsapp', { kind: 'text', text: 'Hola' }), {
      allowPrivateUrls: false,
      endpoints,
    });
    expect(outcome).toEqual({ status: 'sent', providerMessageId: expect.stringMatching(/^SM/) });
    expect(Object.fromEntries(twilio.sends()[0]!.form)).toEqual({
      To: 'whatsapp:+14155550123',
      From: `whatsapp:${TWILIO_TEST_IDS.fromNumber}`,
      Body: 'Hola',
    });
  });

  test('a template goes as its Content SID with numbered ContentVariables', async () => {
    const contentSid = 'HX0123456789abcdef0123456789abcdef';
    await worker.send(
      twilioMessage('whatsapp', {
        kind: 'whatsapp_template',
        templateName: contentSid,
        languageCode: 'en',
        parameters: ['Ada', '#1042'],
      }),
      { allowPrivateUrls: false, endpoints },
    );
    const form = twilio.sends()[0]!.form;
    expect(form.get('ContentSid')).toBe(contentSid);
    expect(JSON.parse(form.get('ContentVariables')!)).toEqual({ '1': 'Ada', '2': '#1042' });
    expect(form.has('Body')).toBe(false);
  });

  test('a template named by its WhatsApp name, not a Content SID, is invalid content', async () => {
    const outcome = await worker.send(
      twilioMessage('whatsapp', {
        kind: 'whatsapp_template',
        templateName: 'order_update',
        languageCode: 'en',
        parameters: [],
      }),
      { allowPrivateUrls: false, endpoints },
    );
    expect(outcome).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    expect(twilio.requests).toHaveLength(0);
  });

  test('a template variable with a line break, a tab or more than 4 spaces once filled in is template_invalid, without calling Twilio (63013)', async () => {
    const contentSid = 'HX0123456789abcdef0123456789abcdef';
    const send = (parameters: string[]) =>
      worker.send(
        twilioMessage('whatsapp', {
          kind: 'whatsapp_template',
          templateName: contentSid,
          languageCode: 'en',
          parameters,
        }),
        { allowPrivateUrls: false, endpoints },
      );
    const cases: Array<[string[], string]> = [
      [['Ada', '1 Main St\nSpringfield'], 'body parameter 2'],
      [['Ada\t', '#1042'], 'body parameter 1'],
      [['Ada     Lovelace', '#1042'], 'body parameter 1'],
      [['Ada', 'ord\r1042'], 'body parameter 2'],
    ];
    for (const [parameters, where] of cases) {
      const outcome = await send(parameters);
      expect(outcome).toMatchObject({
        status: 'failed',
        reason: 'template_invalid',
        retryable: false,
      });
      expect(JSON.stringify(outcome)).toContain(`WhatsApp template ${where} cannot hold`);
    }
    expect(twilio.requests).toHaveLength(0);
    // Four spaces in a row are still fine.
    expect(await send(['Ada    L.', '#1042'])).toMatchObject({ status: 'sent' });
  });

  test('Twilio refusing outside the 24-hour window (63016) is messaging_window_closed', async () => {
    twilio.replyNext(
      twilioError(
        400,
        63016,
        'Failed to send freeform message because you are outside the allowed window.',
      ),
    );
    expect(
      await worker.send(twilioMessage('whatsapp', { kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints,
      }),
    ).toMatchObject({ status: 'failed', reason: 'messaging_window_closed', retryable: false });
  });
});
