import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { graphError, type MetaGraph } from '../../../test/fakes/meta-graph';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import { MESSENGER_TEST_PAGE, startMessengerGraph } from '../messenger-meta/test-fixtures';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { TEST_GRAPH_VERSION } from '../whatsapp-meta/test-fixtures';
import { instagramMessage, TEST_IGSID } from './test-fixtures';

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

function send(rendered: RenderedMessage) {
  return worker.send(instagramMessage(rendered), { allowPrivateUrls: false, endpoints });
}

const image: RenderedMessage = {
  kind: 'media',
  url: 'https://files.example.com/latte.jpg',
  fileName: 'latte.jpg',
  contentType: 'image/jpeg',
};

describe('sending through the Instagram messaging Send API', () => {
  test('a text goes to me/messages with the linked Page token, to the IGSID', async () => {
    expect(await send({ kind: 'text', text: 'Hi from Instagram' })).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(/^m_/),
    });
    const [request] = graph.sends();
    expect(request?.path).toBe(`/${TEST_GRAPH_VERSION}/me/messages`);
    expect(request?.headers.authorization).toBe(`Bearer ${MESSENGER_TEST_PAGE.pageAccessToken}`);
    expect(request?.json).toEqual({
      recipient: { id: TEST_IGSID },
      message: { text: 'Hi from Instagram' },
    });
  });

  test('an image goes as an image attachment by URL', async () => {
    expect(await send(image)).toMatchObject({ status: 'sent' });
    expect(graph.sends()[0]?.json?.message).toEqual({
      attachment: { type: 'image', payload: { url: 'https://files.example.com/latte.jpg' } },
    });
  });

  test('a video, a tagged message or a text over 1000 bytes is invalid content, without a call', async () => {
    for (const rendered of [
      { ...image, contentType: 'video/mp4', fileName: 'a.mp4' },
      { kind: 'messenger_tagged', tag: 'HUMAN_AGENT', text: 'Hi' },
      // 334 three-byte characters: 1002 bytes, well under 1000 characters.
      { kind: 'text', text: '€'.repeat(334) },
    ] as RenderedMessage[]) {
      expect(await send(rendered)).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    }
    expect(graph.requests).toHaveLength(0);
  });

  test('Send API errors use the shared table: a closed window (10/2018278) and 551', async () => {
    graph.replyNext(
      graphError(400, 10, '(#10) outside of allowed window', { subcode: 2018278 }),
      graphError(400, 551, "This person isn't available right now"),
    );
    expect(await send({ kind: 'text', text: 'Hi' })).toMatchObject({
      reason: 'messaging_window_closed',
      retryable: false,
    });
    expect(await send({ kind: 'text', text: 'Hi' })).toMatchObject({
      reason: 'recipient_unavailable',
    });
  });

  test("Instagram's own window refusal (10/2534022) is a closed window, not rejected credentials", async () => {
    graph.replyNext(
      graphError(400, 10, '(#10) This message is sent outside of allowed window.', {
        subcode: 2534022,
      }),
    );
    const outcome = await send({ kind: 'text', text: 'Hi' });
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'messaging_window_closed',
      retryable: false,
    });
    // credentials_rejected would have put the channel in ERROR for every later send.
    expect(outcome.status === 'failed' && outcome.channelError).toBeFalsy();
  });
});
