import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  startVonage,
  type VonageStandIn,
  vonageError,
  vonageKeyPair,
} from '../../../test/fakes/vonage';
import { takesBusinessScopedUserIds } from '../../../workflow/channel-addresses';
import type { FailureReason } from '../../../workflow/types';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import { smsVonageDefinition } from '../sms-vonage/definition';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { whatsappVonageDefinition } from '../whatsapp-vonage/definition';
import { vonageJwt } from './api';
import type { VonageNetwork } from './definition';
import { VONAGE_FAILURES } from './failures';
import { VONAGE_TEST_IDS, vonageChannel, vonageMessage } from './test-fixtures';

const keys = vonageKeyPair();
let vonage: VonageStandIn;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  vonage = await startVonage({
    applicationId: VONAGE_TEST_IDS.applicationId,
    publicKey: keys.publicKey,
  });
  worker = await startAdapterWorker();
  endpoints = { VONAGE_API_URL: vonage.url };
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await vonage?.close();
});

beforeEach(() => {
  vonage.requests.length = 0;
});

function send(network: VonageNetwork, rendered: RenderedMessage, privateKey = keys.privateKey) {
  return worker.send(vonageMessage(vonageChannel(network, privateKey), rendered), {
    allowPrivateUrls: false,
    endpoints,
  });
}

/** A send of `text` on `network` to `recipient` (a contact's address on the channel). */
function sendTo(network: VonageNetwork, recipient: string, text = 'Hi') {
  const message = vonageMessage(
    vonageChannel(network, keys.privateKey),
    { kind: 'text', text },
    { recipient, contact: { id: 'contact-1', firstName: 'Sheena', phone: null } },
  );
  return { message, outcome: worker.send(message, { allowPrivateUrls: false, endpoints }) };
}

describe('sending through the Vonage Messages API', () => {
  test('an SMS goes to /v1/messages with an RS256 JWT of the application, numbers without +, our delivery id as client_ref, and its segments', async () => {
    const message = vonageMessage(vonageChannel('sms', keys.privateKey), {
      kind: 'text',
      text: 'Hi Ada, €5 off today',
    });
    const outcome = await worker.send(message, { allowPrivateUrls: false, endpoints });
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      segments: 1,
    });
    const [request] = vonage.sends();
    expect(request?.claims).toMatchObject({
      application_id: VONAGE_TEST_IDS.applicationId,
      iat: expect.any(Number),
      jti: expect.any(String),
    });
    expect(request?.json).toEqual({
      message_type: 'text',
      text: 'Hi Ada, €5 off today',
      to: '447700900123',
      from: '447700900001',
      channel: 'sms',
      client_ref: message.deliveryId,
    });
  });

  test('SMS media goes as its link after the caption', async () => {
    await send('sms', {
      kind: 'media',
      url: 'https://files.example.com/menu.pdf',
      fileName: 'menu.pdf',
      contentType: 'application/pdf',
      caption: 'Our menu',
    });
    expect(vonage.sends()[0]?.json?.text).toBe('Our menu\nhttps://files.example.com/menu.pdf');
  });

  test('WhatsApp media and templates take the Messages API shapes', async () => {
    await send('whatsapp', {
      kind: 'media',
      url: 'https://files.example.com/menu.pdf',
      fileName: 'menu.pdf',
      contentType: 'application/pdf',
      caption: 'Our menu',
    });
    await send('whatsapp', {
      kind: 'whatsapp_template',
      templateName: 'order_update',
      languageCode: 'en_US',
      parameters: ['Ada', '#1042'],
    });
    const [media, template] = vonage.sends().map((request) => request.json);
    expect(media).toMatchObject({
      channel: 'whatsapp',
      message_type: 'file',
      file: { url: 'https://files.example.com/menu.pdf', caption: 'Our menu', name: 'menu.pdf' },
    });
    expect(template).toMatchObject({
      message_type: 'template',
      template: { name: 'order_update', parameters: ['Ada', '#1042'] },
      whatsapp: { policy: 'deterministic', locale: 'en_US' },
    });
  });

  test('a WhatsApp audio file goes without a caption field with our client_ref, and its caption follows as an untagged text', async () => {
    const audio: RenderedMessage = {
      kind: 'media',
      url: 'https://files.example.com/hello.ogg',
      fileName: 'hello.ogg',
      contentType: 'audio/ogg',
      caption: 'Listen, Ada',
    };
    const message = vonageMessage(vonageChannel('whatsapp', keys.privateKey), audio);
    const outcome = await worker.send(message, { allowPrivateUrls: false, endpoints });
    expect(outcome).toMatchObject({
      status: 'sent',
      providerDetail: expect.stringContaining('it went as a text message'),
    });
    const [first, second, ...rest] = vonage.sends().map((request) => request.json);
    expect(rest).toHaveLength(0);
    expect(first).toMatchObject({
      message_type: 'audio',
      audio: { url: 'https://files.example.com/hello.ogg' },
      client_ref: message.deliveryId,
    });
    expect((first?.audio as Record<string, unknown>) ?? {}).not.toHaveProperty('caption');
    expect(second).toMatchObject({
      channel: 'whatsapp',
      message_type: 'text',
      text: 'Listen, Ada',
      to: first?.to,
    });
    // Its statuses must not find the delivery, which is the audio's.
    expect(second).not.toHaveProperty('client_ref');
  });

  test('a template parameter with a line break, a tab or more than 4 spaces once filled in is template_invalid, without calling Vonage', async () => {
    const template = (parameters: string[]): RenderedMessage => ({
      kind: 'whatsapp_template',
      templateName: 'order_update',
      languageCode: 'en_US',
      parameters,
    });
    const cases: Array<[string[], string]> = [
      [['Ada', '1 Main St\nSpringfield'], 'body parameter 2'],
      [['Ada\t', '#1042'], 'body parameter 1'],
      [['Ada     Lovelace', '#1042'], 'body parameter 1'],
      [['Ada', 'ord\r1042'], 'body parameter 2'],
    ];
    for (const [parameters, where] of cases) {
      const outcome = await send('whatsapp', template(parameters));
      expect(outcome).toMatchObject({
        status: 'failed',
        reason: 'template_invalid',
        retryable: false,
      });
      expect(JSON.stringify(outcome)).toContain(`WhatsApp template ${where} cannot hold`);
    }
    expect(vonage.sends()).toHaveLength(0);
    // Four spaces in a row are still fine.
    expect(await send('whatsapp', template(['Ada    L.', '#1042']))).toMatchObject({
      status: 'sent',
    });
  });

  test('texts over the Messages API limits are refused without a call (SMS 1,000, WhatsApp 4,096 characters)', async () => {
    // "Send a message": SMS text "limited to 1000 characters"; "For WhatsApp the maximum text
    // size is 4096 characters, including Unicode" ("Send a Text Message").
    const tooLong = { whatsapp: 'é'.repeat(4097), sms: 'x'.repeat(1001) } as const;
    for (const network of ['whatsapp', 'sms'] as const) {
      expect(await send(network, { kind: 'text', text: tooLong[network] })).toMatchObject({
        status: 'failed',
        reason: 'content_invalid',
        retryable: false,
      });
    }
    expect(vonage.sends()).toHaveLength(0);
    expect(await send('whatsapp', { kind: 'text', text: 'é'.repeat(4096) })).toMatchObject({
      status: 'sent',
    });
    expect(vonage.sends()).toHaveLength(1);
  });

  test('the stand-in refuses what Vonage refuses: a WhatsApp text over 4,096 characters is 422 1020', async () => {
    const token = await vonageJwt(VONAGE_TEST_IDS.applicationId, keys.privateKey, new Date());
    if (!token.ok) throw new Error(token.detail);
    const post = (text: string) =>
      fetch(`${vonage.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          message_type: 'text',
          text,
          to: '447700900123',
          from: '447700900001',
          channel: 'whatsapp',
        }),
      });
    const refused = await post('x'.repeat(4097));
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { type: string }).type).toMatch(/#1020$/);
    expect((await post('x'.repeat(4096))).status).toBe(202);
  });

  test('a private key that is not PKCS#8 PEM is credentials_rejected, without a call', async () => {
    expect(await send('sms', { kind: 'text', text: 'Hi' }, 'not a key')).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
    });
    expect(vonage.requests).toHaveLength(0);
  });

  test("a key that is not the application's is refused by Vonage (401 unauthorized)", async () => {
    expect(
      await send('sms', { kind: 'text', text: 'Hi' }, vonageKeyPair().privateKey),
    ).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      detail: expect.stringContaining('Vonage error unauthorized'),
    });
  });

  test('a contact without an E.164 number has no associated channel', async () => {
    const outcome = await worker.send(
      vonageMessage(
        vonageChannel('sms', keys.privateKey),
        { kind: 'text', text: 'Hi' },
        { recipient: '07700' },
      ),
      { allowPrivateUrls: false, endpoints },
    );
    expect(outcome).toMatchObject({ status: 'failed', reason: 'no_associated_channel' });
  });
});

describe('business-scoped user IDs (WhatsApp usernames)', () => {
  const bsuid = 'US.13491208655302741918';

  test('on WhatsApp, a contact known by their BSUID is sent to at it, whole, as `to`; SMS takes none, and nothing else but E.164 goes: no associated channel, without a call', async () => {
    const { message, outcome } = sendTo('whatsapp', bsuid, 'Hi Sheena');
    expect(await outcome).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(vonage.sends().map((request) => request.json)).toEqual([
      {
        message_type: 'text',
        text: 'Hi Sheena',
        to: bsuid,
        from: '447700900001',
        channel: 'whatsapp',
        client_ref: message.deliveryId,
      },
    ]);

    vonage.requests.length = 0;
    const refused: Array<[VonageNetwork, string]> = [
      ['sms', bsuid],
      ['sms', 'US.ENT.11815799212886844830'],
      ['whatsapp', 'us.13491208655302741918'],
      ['whatsapp', 'US.1349-1208'],
    ];
    for (const [network, recipient] of refused) {
      expect(await sendTo(network, recipient).outcome, `${network} ${recipient}`).toMatchObject({
        status: 'failed',
        reason: 'no_associated_channel',
        retryable: false,
      });
    }
    expect(vonage.requests).toHaveLength(0);
  });

  test("the API takes a BSUID as an identity address on Vonage's WhatsApp channels, as this adapter sends to one, and not on its SMS channels", () => {
    expect(
      takesBusinessScopedUserIds(whatsappVonageDefinition.type, whatsappVonageDefinition.provider),
    ).toBe(true);
    expect(takesBusinessScopedUserIds(smsVonageDefinition.type, smsVonageDefinition.provider)).toBe(
      false,
    );
  });
});

/** Each row of the table, written out independently: code, HTTP status, reason, retried. */
const EXPECTED: Array<[code: string, status: number, reason: FailureReason, retried: boolean]> = [
  ['unauthorized', 401, 'credentials_rejected', false],
  ['jwt-expired', 401, 'credentials_rejected', false],
  ['jwt-revoked', 401, 'credentials_rejected', false],
  ['invalid-api-key', 401, 'credentials_rejected', false],
  ['low-balance', 402, 'channel_not_connected', false],
  ['account-suspended', 403, 'channel_not_connected', false],
  ['1000', 429, 'rate_limited', true],
  ['1020', 422, 'content_invalid', false],
  ['1022', 422, 'template_invalid', false],
  ['1030', 500, 'network', true],
  ['1040', 422, 'recipient_unavailable', false],
  ['1050', 422, 'recipient_unavailable', false],
  ['1060', 403, 'channel_not_connected', false],
  ['1070', 402, 'channel_not_connected', false],
  ['1100', 500, 'network', true],
  ['1120', 422, 'channel_not_connected', false],
  ['1160', 422, 'recipient_unavailable', false],
];

describe('Vonage error answers', () => {
  test.each(EXPECTED)('%s (HTTP %i) is %s, retried: %s', async (code, status, reason, retried) => {
    vonage.replyNext(vonageError(status, code, `documented ${code}`));
    expect(await send('sms', { kind: 'text', text: 'Hi' })).toMatchObject({
      status: 'failed',
      reason,
      retryable: retried,
      detail: expect.stringContaining(`Vonage error ${code}: documented ${code}`),
    });
  });

  test('every row of the table has its case above', () => {
    expect(VONAGE_FAILURES.map((row) => row.code).sort()).toEqual(
      EXPECTED.map(([code]) => code).sort(),
    );
  });
});
