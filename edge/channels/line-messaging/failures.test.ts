import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type LineMessagingApi,
  lineError,
  startLineMessagingApi,
} from '../../../test/fakes/line-messaging-api';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { FailureReason } from '../types';
import { findLineFailure, LINE_FAILURES } from './failures';
import { LINE_TEST, lineChannel, lineMessage } from './test-fixtures';

let line: LineMessagingApi;
let worker: AdapterWorker;

beforeAll(async () => {
  line = await startLineMessagingApi({
    accessToken: LINE_TEST.accessToken,
    friends: [LINE_TEST.userId],
  });
  worker = await startAdapterWorker();
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await line?.close();
});

function send(overrides: Parameters<typeof lineMessage>[1] = {}, text = 'Hi') {
  return worker.send(lineMessage({ kind: 'text', text }, overrides), {
    allowPrivateUrls: false,
    endpoints: { LINE_API_URL: line.url },
  });
}

describe('LINE errors become reasons (one case per table row)', () => {
  test("400 'to' is invalid → recipient_unavailable", async () => {
    line.replyNext(
      lineError(400, "The property, 'to', in the request body is invalid (line: -, column: -)"),
    );
    expect(await send()).toMatchObject({ reason: 'recipient_unavailable', retryable: false });
  });

  test('400 Failed to send messages → recipient_unavailable (a user who is not a friend)', async () => {
    expect(await send({ recipient: 'U00000000000000000000000000000000' })).toMatchObject({
      status: 'failed',
      reason: 'recipient_unavailable',
      retryable: false,
      detail: 'LINE Messaging API answered HTTP 400: Failed to send messages',
    });
  });

  test('400 invalid message object → content_invalid', async () => {
    line.replyNext(
      lineError(400, 'A message (messages[0]) in the request body is invalid', [
        { message: 'Length must be between 0 and 5000', property: 'messages[0].text' },
      ]),
    );
    expect(await send()).toMatchObject({
      reason: 'content_invalid',
      retryable: false,
      detail: expect.stringContaining('messages[0].text: Length must be between 0 and 5000'),
    });
  });

  test('401 → credentials_rejected (a token LINE does not know)', async () => {
    const channel = lineChannel({
      credentials: { channelAccessToken: 'revoked', channelSecret: LINE_TEST.channelSecret },
    });
    expect(await send({ channel })).toMatchObject({
      reason: 'credentials_rejected',
      retryable: false,
      detail: expect.stringContaining('Authentication failed'),
    });
  });

  test('403 → credentials_rejected', async () => {
    line.replyNext(lineError(403, 'Access to this API is not available for your account'));
    expect(await send()).toMatchObject({ reason: 'credentials_rejected', retryable: false });
  });

  test('429 monthly limit → rate_limited, not retried', async () => {
    line.replyNext(lineError(429, 'You have reached your monthly limit.'));
    expect(await send()).toMatchObject({ reason: 'rate_limited', retryable: false });
  });

  test('429 too many requests → rate_limited, retried', async () => {
    line.replyNext(lineError(429, 'The API rate limit has been exceeded. Try again later.'));
    expect(await send()).toMatchObject({ reason: 'rate_limited', retryable: true });
  });

  test('every row has a case above and cites the Messaging API reference', () => {
    const cases: [number, string, FailureReason][] = [
      [400, "The property, 'to', in the request body is invalid", 'recipient_unavailable'],
      [400, 'Failed to send messages', 'recipient_unavailable'],
      [400, 'A message (messages[0]) in the request body is invalid', 'content_invalid'],
      [401, 'Authentication failed', 'credentials_rejected'],
      [403, 'Access to this API is not available', 'credentials_rejected'],
      [429, 'You have reached your monthly limit.', 'rate_limited'],
      [429, 'The API rate limit has been exceeded.', 'rate_limited'],
    ];
    const covered = new Set<unknown>();
    for (const [status, message, reason] of cases) {
      const row = findLineFailure(status, message);
      expect(row?.reason, `${status} ${message}`).toBe(reason);
      covered.add(row);
    }
    expect(covered.size).toBe(LINE_FAILURES.length);
    for (const row of LINE_FAILURES) expect(row.doc).toMatch(/^LINE Messaging API reference, "/);
  });
});
