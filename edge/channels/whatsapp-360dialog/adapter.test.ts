import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type Dialog360, startDialog360 } from '../../../test/fakes/dialog360';
import { graphError } from '../../../test/fakes/meta-graph';
import { takesBusinessScopedUserIds } from '../../../workflow/channel-addresses';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ChannelRecord, ProviderEndpoints, RenderedMessage } from '../types';
import { documentHeaderTemplateBody, whatsappMessage } from '../whatsapp-meta/test-fixtures';
import { whatsapp360dialogDefinition } from './definition';

const API_KEY = 'd360-test-api-key';

let dialog: Dialog360;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  dialog = await startDialog360({ apiKey: API_KEY });
  worker = await startAdapterWorker();
  endpoints = { DIALOG360_API_URL: dialog.url };
}, 180_000);

afterAll(async () => {
  await worker?.dispose();
  await dialog?.close();
});

beforeEach(() => {
  dialog.requests.length = 0;
});

function channel(apiKey = API_KEY): ChannelRecord {
  return {
    id: 'channel-360dialog',
    type: 'whatsapp',
    provider: 'dialog360',
    name: 'WhatsApp (360dialog)',
    settings: {},
    credentials: { apiKey },
  };
}

function send(rendered: RenderedMessage, apiKey?: string) {
  return worker.send(whatsappMessage(rendered, { channel: channel(apiKey) }), {
    allowPrivateUrls: false,
    endpoints,
  });
}

/** A text to a contact whose address on the channel is `recipient`. */
function sendTo(recipient: string, text = 'Hi') {
  const message = whatsappMessage(
    { kind: 'text', text },
    {
      channel: channel(),
      recipient,
      contact: { id: 'contact-1', firstName: 'Sheena', phone: null },
    },
  );
  return { message, outcome: worker.send(message, { allowPrivateUrls: false, endpoints }) };
}

describe('sending WhatsApp through 360dialog', () => {
  test('the Cloud API body goes to /messages with D360-API-KEY and the delivery id echoed', async () => {
    const message = whatsappMessage({ kind: 'text', text: 'Hi Ada' }, { channel: channel() });
    const outcome = await worker.send(message, { allowPrivateUrls: false, endpoints });
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^wamid\./),
    });
    const [request] = dialog.sends();
    expect(request?.headers['d360-api-key']).toBe(API_KEY);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      type: 'text',
      text: { preview_url: false, body: 'Hi Ada' },
      biz_opaque_callback_data: message.deliveryId,
    });
  });

  test('templates go by name and language as through Meta', async () => {
    await send({
      kind: 'whatsapp_template',
      templateName: 'order_update',
      languageCode: 'en_US',
      parameters: ['Ada'],
    });
    expect(dialog.sends()[0]?.json?.template).toEqual({
      name: 'order_update',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }],
    });
  });

  test('a media header goes as in the Cloud API: the document by link with its file name', async () => {
    const pass = { link: 'https://cdn.example.com/pass-1042.pdf', filename: 'Boarding pass.pdf' };
    const outcome = await send({
      kind: 'whatsapp_template',
      templateName: 'boarding_pass',
      languageCode: 'en',
      parameters: ['Ada'],
      headerMedia: { kind: 'document', link: pass.link, fileName: pass.filename },
    });
    expect(outcome.status).toBe('sent');
    expect(dialog.sends()[0]?.json?.template).toEqual(
      documentHeaderTemplateBody('boarding_pass', pass, 'Ada'),
    );
  });

  test('an API key 360dialog does not know is credentials_rejected', async () => {
    expect(await send({ kind: 'text', text: 'Hi' }, 'wrong-key')).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: expect.stringContaining('360dialog answered HTTP 401'),
    });
  });

  test("Cloud API errors passed through are classified by WhatsApp's table (131047: window closed)", async () => {
    dialog.replyNext(graphError(400, 131047, 'Re-engagement message'));
    expect(await send({ kind: 'text', text: 'Hi' })).toMatchObject({
      status: 'failed',
      reason: 'messaging_window_closed',
      detail: expect.stringContaining('360dialog error 131047'),
    });
  });

  test('a caption over 1,024 characters is content_invalid and a template parameter with a line break template_invalid, without a call, as through Meta', async () => {
    expect(whatsapp360dialogDefinition.captionLimit.maxLength).toBe(1024);
    expect(
      await send({
        kind: 'media',
        url: 'https://files.example.com/a.png',
        fileName: 'a.png',
        contentType: 'image/png',
        caption: 'x'.repeat(1025),
      }),
    ).toMatchObject({ status: 'failed', reason: 'content_invalid', retryable: false });
    expect(
      await send({
        kind: 'whatsapp_template',
        templateName: 'order_update',
        languageCode: 'en_US',
        parameters: ['Ada', '1 Main St\nSpringfield'],
      }),
    ).toMatchObject({ status: 'failed', reason: 'template_invalid', retryable: false });
    expect(dialog.requests).toHaveLength(0);
  });

  test('a channel without its API key is not connected, without a call', async () => {
    expect(await send({ kind: 'text', text: 'Hi' }, '')).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
    });
    expect(dialog.requests).toHaveLength(0);
  });
});

describe('business-scoped user IDs (WhatsApp usernames) through 360dialog', () => {
  test('a contact known by a BSUID or parent BSUID is sent to as `recipient`, without `to`, as through Meta; an address neither E.164 nor a BSUID has no associated channel, without a call', async () => {
    for (const bsuid of ['US.13491208655302741918', 'US.ENT.11815799212886844830']) {
      dialog.requests.length = 0;
      const { message, outcome } = sendTo(bsuid, 'Hi Sheena');
      expect(await outcome, bsuid).toEqual({
        status: 'sent',
        providerMessageId: expect.stringMatching(/^wamid\./),
      });
      expect(dialog.sends().map((request) => request.json)).toEqual([
        {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          recipient: bsuid,
          type: 'text',
          text: { preview_url: false, body: 'Hi Sheena' },
          biz_opaque_callback_data: message.deliveryId,
        },
      ]);
    }

    dialog.requests.length = 0;
    for (const recipient of ['us.13491208655302741918', 'US.1234-5678', 'ada@example.com']) {
      expect(await sendTo(recipient).outcome, recipient).toMatchObject({
        status: 'failed',
        reason: 'no_associated_channel',
        retryable: false,
      });
    }
    expect(dialog.requests).toHaveLength(0);
  });

  test("the API takes a BSUID as an identity address on 360dialog's channels, as this adapter sends to one", () => {
    const { type, provider } = whatsapp360dialogDefinition;
    expect(takesBusinessScopedUserIds(type, provider)).toBe(true);
  });
});
