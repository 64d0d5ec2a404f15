import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startViberBotApi, type ViberBotApi } from '../../../test/fakes/viber-bot-api';
import { validateCaptions } from '../../../workflow/validate-captions';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { viberBotDefinition } from './definition';
import { VIBER_TEST, viberChannel, viberMessage } from './test-fixtures';

let viber: ViberBotApi;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  viber = await startViberBotApi({
    authToken: VIBER_TEST.authToken,
    subscribers: { [VIBER_TEST.userId]: 'subscribed', 'gone+user=': 'unsubscribed' },
  });
  worker = await startAdapterWorker();
  endpoints = { VIBER_API_URL: viber.url };
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await viber?.close();
});

beforeEach(() => {
  viber.requests.length = 0;
  viber.delivered.length = 0;
});

function send(message: ReturnType<typeof viberMessage>) {
  return worker.send(message, { allowPrivateUrls: false, endpoints });
}

describe('sending through the Viber REST Bot API', () => {
  test('a text goes to send_message with the auth token and sender name; the 64-bit message token is kept to the digit', async () => {
    const message = viberMessage({ kind: 'text', text: 'Hi Ada' });
    const outcome = await send(message);
    const [sent] = viber.delivered;
    expect(sent?.messageToken).toMatch(/^\d{19}$/);
    expect(Number(sent?.messageToken) > Number.MAX_SAFE_INTEGER).toBe(true);
    expect(outcome).toEqual({ status: 'sent', providerMessageId: sent?.messageToken });
    const [request] = viber.sends();
    expect(request?.headers['x-viber-auth-token']).toBe(VIBER_TEST.authToken);
    expect(request?.json).toEqual({
      receiver: VIBER_TEST.userId,
      min_api_version: 1,
      sender: { name: VIBER_TEST.senderName },
      tracking_data: message.deliveryId,
      type: 'text',
      text: 'Hi Ada',
    });
  });

  test('an image goes as a picture with its caption as the text', async () => {
    const rendered: RenderedMessage = {
      kind: 'media',
      url: 'https://files.example.com/menu.jpg',
      fileName: 'menu.jpg',
      contentType: 'image/jpeg',
      caption: 'Our menu',
    };
    expect(await send(viberMessage(rendered))).toMatchObject({ status: 'sent' });
    expect(viber.sends()[0]?.json).toMatchObject({
      type: 'picture',
      media: 'https://files.example.com/menu.jpg',
      text: 'Our menu',
    });
  });

  test('a picture description over 768 characters is refused when the step is saved and, filled in, at send without a call (REST Bot API, "Picture message": `text`)', async () => {
    // Save time: the definition's caption limit, as api/workflows/lookups.ts passes it on.
    const { captionLimit, mediaLimits, label } = viberBotDefinition;
    const lookups = {
      channels: new Map([['ch_viber', { captionLimit, mediaLimits, label }]]),
      files: new Map([['photo', { name: 'menu.jpg', contentType: 'image/jpeg', sizeBytes: 1000 }]]),
      snippets: new Map<string, string>(),
    };
    const saved = (caption: string) =>
      validateCaptions(
        {
          channel: { kind: 'specific', channelId: 'ch_viber' },
          defaultMessage: { type: 'media', fileId: 'photo', caption },
          channelResponses: [],
          failureBranchEnabled: false,
        },
        lookups,
      );
    expect(saved('x'.repeat(768))).toEqual([]);
    expect(saved('x'.repeat(769))).toEqual([
      expect.objectContaining({
        code: 'TEXT_TOO_LONG',
        path: 'defaultMessage.caption',
        message: expect.stringContaining('Viber (REST Bot API) takes captions of at most 768'),
      }),
    ]);
    // Send time: the same number, checked on the filled-in caption.
    const picture = (caption: string): RenderedMessage => ({
      kind: 'media',
      url: 'https://files.example.com/menu.jpg',
      fileName: 'menu.jpg',
      contentType: 'image/jpeg',
      caption,
    });
    expect(await send(viberMessage(picture('x'.repeat(769))))).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
      detail: expect.stringContaining('768'),
    });
    expect(viber.requests).toHaveLength(0);
    expect(await send(viberMessage(picture('x'.repeat(768))))).toMatchObject({ status: 'sent' });
  });

  test('a picture whose URL does not end in .jpeg, .jpg, .png or .gif is invalid content, without a call (REST Bot API, "Picture message": `media`)', async () => {
    for (const url of [
      'https://cdn.example.com/files/1234',
      'https://cdn.example.com/image?name=menu.jpg',
      'https://cdn.example.com/menu.jpg/download',
    ]) {
      const outcome = await send(
        viberMessage({ kind: 'media', url, fileName: 'menu.jpg', contentType: 'image/jpeg' }),
      );
      expect(outcome).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    }
    expect(viber.requests).toHaveLength(0);
    // Our signed links end in the type's extension, with the signature in the query.
    const signed = 'https://sendflow.example.com/media/0190a1b2-0000-7000-8000-000000000001.jpeg';
    expect(
      await send(
        viberMessage({
          kind: 'media',
          url: `${signed}?expires=1&signature=abc`,
          fileName: 'menu.jpg',
          contentType: 'image/jpeg',
        }),
      ),
    ).toMatchObject({ status: 'sent' });
  });

  test('the stand-in refuses a picture URL without the extension as Viber documents it (3 badData)', async () => {
    const answer = await fetch(`${viber.url}/pa/send_message`, {
      method: 'POST',
      headers: { 'x-viber-auth-token': VIBER_TEST.authToken, 'content-type': 'application/json' },
      body: JSON.stringify({
        receiver: VIBER_TEST.userId,
        sender: { name: VIBER_TEST.senderName },
        type: 'picture',
        text: '',
        media: 'https://cdn.example.com/files/1234',
      }),
    });
    expect(await answer.json()).toEqual({ status: 3, status_message: 'badData' });
    expect(viber.delivered).toHaveLength(0);
  });

  test('other files, long texts and templates are invalid content, without a call', async () => {
    for (const rendered of [
      {
        kind: 'media',
        url: 'https://files.example.com/a.pdf',
        fileName: 'a.pdf',
        contentType: 'application/pdf',
      },
      { kind: 'text', text: 'x'.repeat(7001) },
      { kind: 'whatsapp_template', templateName: 'x', languageCode: 'en', parameters: [] },
    ] satisfies RenderedMessage[]) {
      expect(await send(viberMessage(rendered))).toMatchObject({
        status: 'failed',
        reason: 'content_invalid',
      });
    }
    expect(viber.requests).toHaveLength(0);
  });

  test('a sender name over 28 characters or a missing token is not connected, without a call', async () => {
    for (const channel of [
      viberChannel({ settings: { senderName: 'x'.repeat(29) } }),
      viberChannel({ credentials: {} }),
    ]) {
      expect(await send(viberMessage({ kind: 'text', text: 'Hi' }, { channel }))).toMatchObject({
        reason: 'channel_not_connected',
      });
    }
    expect(viber.requests).toHaveLength(0);
  });

  test('an unsubscribed user is recipient_unavailable; a wrong token credentials_rejected', async () => {
    expect(
      await send(viberMessage({ kind: 'text', text: 'Hi' }, { recipient: 'gone+user=' })),
    ).toMatchObject({
      reason: 'recipient_unavailable',
      detail: 'Viber REST Bot API status 6 (receiverNotSubscribed)',
    });
    expect(
      await send(
        viberMessage(
          { kind: 'text', text: 'Hi' },
          { channel: viberChannel({ credentials: { authToken: 'wrong' } }) },
        ),
      ),
    ).toMatchObject({ reason: 'credentials_rejected', retryable: false });
  });
});
