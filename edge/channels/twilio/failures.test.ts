import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTwilio, type TwilioStandIn, twilioError } from '../../../test/fakes/twilio';
import type { FailureReason } from '../../../workflow/types';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import { statusFailure, TWILIO_FAILURES } from './failures';
import { TWILIO_TEST_IDS, twilioMessage } from './test-fixtures';

let twilio: TwilioStandIn;
let worker: AdapterWorker;

beforeAll(async () => {
  twilio = await startTwilio(TWILIO_TEST_IDS);
  worker = await startAdapterWorker();
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await twilio?.close();
});

/**
 * What each documented error must become, written out here independently of the table: the
 * issue's list (21211 invalid number, 21610 unsubscribed, 21408/21612 unroutable, 20003 auth,
 * 20429 rate, 30003/30005/30006 undelivered after acceptance) and the rest of the dictionary
 * pages the table cites. Every table row is a case below (the last test checks none is missing).
 */
const EXPECTED: Array<[code: number, status: number, reason: FailureReason, retried: boolean]> = [
  [20003, 401, 'credentials_rejected', false],
  [20005, 401, 'credentials_rejected', false],
  [20404, 404, 'channel_not_connected', false],
  [20429, 429, 'rate_limited', true],
  [21606, 400, 'channel_not_connected', false],
  [21659, 400, 'channel_not_connected', false],
  [21703, 400, 'channel_not_connected', false],
  [21211, 400, 'recipient_unavailable', false],
  [21614, 400, 'recipient_unavailable', false],
  [21610, 400, 'recipient_unavailable', false],
  [21408, 400, 'recipient_unavailable', false],
  [21612, 400, 'recipient_unavailable', false],
  [21617, 400, 'content_invalid', false],
  [21620, 400, 'content_invalid', false],
  [63016, 400, 'messaging_window_closed', false],
  [63018, 429, 'rate_limited', true],
  [30003, 400, 'recipient_unavailable', false],
  [30004, 400, 'recipient_unavailable', false],
  [30005, 400, 'recipient_unavailable', false],
  [30006, 400, 'recipient_unavailable', false],
  [30007, 400, 'rejected_by_provider', false],
  [30008, 400, 'rejected_by_provider', false],
];

describe('Twilio error answers to a send', () => {
  test.each(EXPECTED)(
    'error %i (HTTP %i) is %s, retried: %s',
    async (code, status, reason, retried) => {
      twilio.replyNext(twilioError(status, code, `documented error ${code}`));
      const outcome = await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { TWILIO_API_URL: twilio.url },
      });
      expect(outcome).toMatchObject({
        status: 'failed',
        reason,
        retryable: retried,
        detail: `Twilio error ${code}: documented error ${code}`,
      });
    },
  );

  test('a rate limit is retried after the Retry-After Twilio sends', async () => {
    twilio.replyNext({
      ...twilioError(429, 20429, 'Too Many Requests'),
      headers: { 'retry-after': '30' },
    });
    expect(
      await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { TWILIO_API_URL: twilio.url },
      }),
    ).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterSeconds: 30 });
  });

  test('an error code the table does not list falls back to the HTTP status', async () => {
    twilio.replyNext(twilioError(400, 21999, 'something new'));
    expect(
      await worker.send(twilioMessage('sms', { kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { TWILIO_API_URL: twilio.url },
      }),
    ).toMatchObject({ reason: 'rejected_by_provider', retryable: false });
  });
});

describe('ErrorCode in an undelivered status callback', () => {
  test.each(EXPECTED)('error %i becomes %s', (code, _status, reason) => {
    expect(statusFailure(code)).toMatchObject({
      reason,
      detail: expect.stringContaining(`${code}`),
    });
  });

  test('no code, or one the table does not list, is a provider rejection', () => {
    expect(statusFailure(null).reason).toBe('rejected_by_provider');
    expect(statusFailure(12345)).toEqual({
      reason: 'rejected_by_provider',
      detail: 'Twilio error 12345',
    });
  });
});

test('every row of the table has its case above, and every row cites the dictionary', () => {
  expect(TWILIO_FAILURES.map((row) => row.code).sort()).toEqual(
    EXPECTED.map(([code]) => code).sort(),
  );
  for (const row of TWILIO_FAILURES)
    expect(row.doc).toMatch(/^Twilio Docs, Error and Warning Dictionary: \d+ /);
});
