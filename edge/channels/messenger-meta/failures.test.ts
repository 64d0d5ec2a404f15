import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphError, type MetaGraph, startMetaGraph } from '../../../test/fakes/meta-graph';
import type { FailureReason } from '../../../workflow/types';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import { SEND_API_FAILURES } from '../meta/send-api-failures';
import { TEST_GRAPH_VERSION, WHATSAPP_TEST_IDS } from '../whatsapp-meta/test-fixtures';
import { MESSENGER_GRAPH_PAGE, messengerMessage } from './test-fixtures';

let graph: MetaGraph;
let worker: AdapterWorker;

beforeAll(async () => {
  graph = await startMetaGraph({
    ...WHATSAPP_TEST_IDS,
    version: TEST_GRAPH_VERSION,
    pages: [MESSENGER_GRAPH_PAGE],
  });
  worker = await startAdapterWorker();
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await graph?.close();
});

/**
 * What each documented Send API error must become, written out independently of the table:
 * the brief's list (10/2018278 window, 551 unavailable, 190 token, 4/613 rate, 100 invalid) and
 * the rest of the Send API's "Error Codes" page. The last test checks no row is missing.
 */
const EXPECTED: Array<
  [code: number, subcode: number | null, status: number, reason: FailureReason, retried: boolean]
> = [
  [1200, null, 500, 'network', true],
  [4, 2018022, 400, 'rate_limited', true],
  [100, 2018109, 400, 'content_invalid', false],
  [10, 2018278, 400, 'messaging_window_closed', false],
  [10, 2018065, 400, 'messaging_window_closed', false],
  [10, 2534022, 400, 'messaging_window_closed', false],
  // A permission error whose subcode no row names: this message refused, the token fine.
  [10, 2018999, 400, 'rejected_by_provider', false],
  [10, 2018108, 400, 'recipient_unavailable', false],
  [551, null, 400, 'recipient_unavailable', false],
  [100, 2018001, 400, 'recipient_unavailable', false],
  [200, 1545041, 403, 'recipient_unavailable', false],
  [100, 33, 400, 'channel_not_connected', false],
  [100, null, 400, 'content_invalid', false],
  [1, null, 500, 'network', true],
  [2, null, 503, 'network', true],
  [4, null, 400, 'rate_limited', true],
  [17, null, 400, 'rate_limited', true],
  [341, null, 400, 'rate_limited', true],
  [613, null, 400, 'rate_limited', true],
  [10, null, 403, 'credentials_rejected', false],
  [102, null, 401, 'credentials_rejected', false],
  [190, null, 401, 'credentials_rejected', false],
  [200, null, 403, 'credentials_rejected', false],
  [299, null, 403, 'credentials_rejected', false],
  [368, null, 400, 'rejected_by_provider', false],
];

describe('Send API error codes become reasons (one case per table row)', () => {
  for (const [code, subcode, status, reason, retried] of EXPECTED) {
    const name = subcode === null ? `${code}` : `${code}/${subcode}`;
    test(`${name} → ${reason}${retried ? ', retried' : ''}`, async () => {
      graph.replyNext(
        graphError(
          status,
          code,
          `(#${code}) documented error`,
          subcode === null ? {} : { subcode },
        ),
      );
      const outcome = await worker.send(messengerMessage({ kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
      });
      expect(outcome).toMatchObject({ status: 'failed', reason, retryable: retried });
      expect(outcome.status === 'failed' && outcome.detail).toContain(`error ${name}`);
    });
  }

  test('every row of the table has a case above, and every row cites its documentation', () => {
    const cases = new Set(EXPECTED.map(([code, subcode]) => `${code}/${subcode}`));
    for (const row of SEND_API_FAILURES) {
      const codes = typeof row.code === 'number' ? [row.code] : row.code;
      for (const code of codes) {
        expect(cases, `row ${code}/${row.subcode ?? null}`).toContain(
          `${code}/${row.subcode ?? null}`,
        );
      }
      expect(row.doc).toMatch(/Error Codes|Handling Errors/);
    }
  });
});
