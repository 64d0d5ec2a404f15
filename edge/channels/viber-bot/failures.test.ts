import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startViberBotApi, type ViberBotApi, viberStatus } from '../../../test/fakes/viber-bot-api';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { FailureReason } from '../types';
import { VIBER_FAILURES } from './failures';
import { VIBER_TEST, viberMessage } from './test-fixtures';

let viber: ViberBotApi;
let worker: AdapterWorker;

beforeAll(async () => {
  viber = await startViberBotApi({
    authToken: VIBER_TEST.authToken,
    subscribers: { [VIBER_TEST.userId]: 'subscribed' },
  });
  worker = await startAdapterWorker();
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await viber?.close();
});

/** [status, status_message, reason, retried]: one case per table row. */
const EXPECTED: [number, string, FailureReason, boolean][] = [
  [1, 'invalidUrl', 'channel_not_connected', false],
  [2, 'invalidAuthToken', 'credentials_rejected', false],
  [3, 'badData', 'content_invalid', false],
  [4, 'missingData', 'content_invalid', false],
  [5, 'receiverNotRegistered', 'recipient_unavailable', false],
  [6, 'receiverNotSubscribed', 'recipient_unavailable', false],
  [7, 'publicAccountBlocked', 'channel_not_connected', false],
  [8, 'publicAccountNotFound', 'channel_not_connected', false],
  [9, 'publicAccountSuspended', 'channel_not_connected', false],
  [10, 'webhookNotSet', 'channel_not_connected', false],
  [11, 'receiverNoSuitableDevice', 'recipient_unavailable', false],
  [12, 'tooManyRequests', 'rate_limited', true],
  [13, 'apiVersionNotSupported', 'content_invalid', false],
  [14, 'incompatibleWithVersion', 'content_invalid', false],
  [15, 'publicAccountNotAuthorized', 'credentials_rejected', false],
  [21, 'unsupportedCountry', 'recipient_unavailable', false],
  [23, 'freeMessagesExceeded', 'rate_limited', false],
  [24, 'noBalance', 'rejected_by_provider', false],
];

function send() {
  return worker.send(viberMessage({ kind: 'text', text: 'Hi' }), {
    allowPrivateUrls: false,
    endpoints: { VIBER_API_URL: viber.url },
  });
}

describe('Viber status codes become reasons (one case per table row)', () => {
  for (const [status, name, reason, retried] of EXPECTED) {
    test(`${status} ${name} → ${reason}${retried ? ', retried' : ''}`, async () => {
      viber.replyNext(viberStatus(status, name));
      const outcome = await send();
      expect(outcome).toMatchObject({ status: 'failed', reason, retryable: retried });
      expect(outcome.status === 'failed' && outcome.detail).toBe(
        `Viber REST Bot API status ${status} (${name})`,
      );
    });
  }

  test('a documented code no row names is a refusal; a general error (above 24) is retried', async () => {
    viber.replyNext(viberStatus(19, 'cannotSendBroadcast'), viberStatus(99, 'generalError'));
    expect(await send()).toMatchObject({ reason: 'rejected_by_provider', retryable: false });
    expect(await send()).toMatchObject({ reason: 'network', retryable: true });
  });

  test('every row has a case above and cites the "Errors" section', () => {
    expect(EXPECTED.map(([status]) => status)).toEqual(VIBER_FAILURES.map((row) => row.status));
    for (const row of VIBER_FAILURES) {
      expect(row.doc).toBe(`Viber REST Bot API, "Errors": ${row.status} ${row.name}`);
    }
  });
});
