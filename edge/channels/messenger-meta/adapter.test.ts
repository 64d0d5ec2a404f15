import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { graphError, type MetaGraph } from '../../../test/fakes/meta-graph';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { TEST_GRAPH_VERSION } from '../whatsapp-meta/test-fixtures';
import {
  MESSENGER_TEST_PAGE,
  messengerChannel,
  messengerMessage,
  startMessengerGraph,
  TEST_PSID,
} from './test-fixtures';

let graph: MetaGraph;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  graph = await startMessengerGraph();
  worker = await startAdapterWorker();
  endpoints = { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION };
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await graph?.close();
});

beforeEach(() => {
  graph.requests.length = 0;
});

function send(rendered: RenderedMessage, overrides: Parameters<typeof messengerMessage>[1] = {}) {
  return worker.send(messengerMessage(rendered, overrides), { allowPrivateUrls: false, endpoints });
}

describe('sending through the Messenger Send API', () => {
  test("a text goes to the Page's /<page-id>/messages with its token as a RESPONSE to the PSID", async () => {
    const outcome = await send({ kind: 'text', text: 'Hi Ada' });
    expect(outcome).toEqual({ status: 'sent', providerMessageId: expect.stringMatching(/^m_/) });
    const [request] = graph.sends();
    // Send API reference: "send a POST request to the /PAGE-ID/messages endpoint".
    expect(request?.path).toBe(`/${TEST_GRAPH_VERSION}/${MESSENGER_TEST_PAGE.pageId}/messages`);
    expect(request?.headers.authorization).toBe(`Bearer ${MESSENGER_TEST_PAGE.pageAccessToken}`);
    expect(request?.json).toEqual({
      recipient: { id: TEST_PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Hi Ada' },
    });
  });

  test('a tagged message goes as MESSAGE_TAG with its tag', async () => {
    expect(
      await send({ kind: 'messenger_tagged', tag: 'POST_PURCHASE_UPDATE', text: 'Shipped!' }),
    ).toMatchObject({ status: 'sent' });
    expect(graph.sends()[0]?.json).toEqual({
      recipient: { id: TEST_PSID },
      messaging_type: 'MESSAGE_TAG',
      tag: 'POST_PURCHASE_UPDATE',
      message: { text: 'Shipped!' },
    });
  });

  test('media goes as an attachment by URL, by type; a caption follows as a text', async () => {
    const media = (contentType: string, fileName: string, caption?: string): RenderedMessage => ({
      kind: 'media',
      url: `https://files.example.com/${fileName}`,
      fileName,
      contentType,
      ...(caption ? { caption } : {}),
    });
    for (const rendered of [
      media('image/png', 'menu.png', 'Our menu'),
      media('video/mp4', 'tour.mp4'),
      media('audio/mpeg', 'hello.mp3'),
      media('application/pdf', 'menu.pdf'),
    ]) {
      expect(await send(rendered)).toMatchObject({ status: 'sent' });
    }
    expect(graph.sends().map((request) => request.json?.message)).toEqual([
      { attachment: { type: 'image', payload: { url: 'https://files.example.com/menu.png' } } },
      { text: 'Our menu' },
      { attachment: { type: 'video', payload: { url: 'https://files.example.com/tour.mp4' } } },
      { attachment: { type: 'audio', payload: { url: 'https://files.example.com/hello.mp3' } } },
      { attachment: { type: 'file', payload: { url: 'https://files.example.com/menu.pdf' } } },
    ]);
  });

  test('a caption Meta refuses after the attachment went out still counts as sent, and is not retried', async () => {
    graph.replyNext(
      { status: 200, body: { recipient_id: TEST_PSID, message_id: 'm_attachment' } },
      graphError(500, 1200, 'Temporary send message failure'),
    );
    const outcome = await send({
      kind: 'media',
      url: 'https://files.example.com/a.png',
      fileName: 'a.png',
      contentType: 'image/png',
      caption: 'Look',
    });
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: 'm_attachment',
      providerDetail: expect.stringContaining('the caption was not sent'),
    });
    expect(graph.sends()).toHaveLength(2);
  });

  test('a WhatsApp template is invalid content for Messenger, without a call', async () => {
    expect(
      await send({
        kind: 'whatsapp_template',
        templateName: 'x',
        languageCode: 'en',
        parameters: [],
      }),
    ).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    expect(graph.requests).toHaveLength(0);
  });

  test('a contact without a PSID has no associated channel, without a call', async () => {
    expect(
      await send({ kind: 'text', text: 'Hi' }, { recipient: 'ada@example.com' }),
    ).toMatchObject({ status: 'failed', reason: 'no_associated_channel' });
    expect(graph.requests).toHaveLength(0);
  });

  test('a channel missing its Page token is not connected, without a call', async () => {
    const channel = messengerChannel({ credentials: { appSecret: MESSENGER_TEST_PAGE.appSecret } });
    expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
    });
    expect(graph.requests).toHaveLength(0);
  });

  test("a channel whose Page id is not the token's Page is refused by Graph (100/33) as not connected", async () => {
    const channel = messengerChannel({ settings: { pageId: '998877665544332' } });
    expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
      retryable: false,
    });
    expect(graph.sends()[0]?.path).toBe(`/${TEST_GRAPH_VERSION}/998877665544332/messages`);
  });

  test('a Page token Meta does not accept is credentials_rejected', async () => {
    const channel = messengerChannel({
      credentials: { pageAccessToken: 'EAA-revoked', appSecret: MESSENGER_TEST_PAGE.appSecret },
    });
    expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      detail: expect.stringContaining('error 190'),
    });
  });
});
