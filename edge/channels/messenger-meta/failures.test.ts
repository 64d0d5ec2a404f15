import { afterAll, beforeAll, describe } from 'vitest';
import type { MetaGraph } from '../../../test/fakes/meta-graph';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import {
  GRAPH_WIDE_CASES,
  type GraphFailureCase,
  testEveryGraphRowCased,
  testGraphFailureCases,
} from '../meta/graph-failure-cases';
import { SEND_API_FAILURES } from '../meta/send-api-failures';
import { TEST_GRAPH_VERSION } from '../whatsapp-meta/test-fixtures';
import { messengerMessage, startMessengerGraph } from './test-fixtures';

let graph: MetaGraph;
let worker: AdapterWorker;

beforeAll(async () => {
  graph = await startMessengerGraph();
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
const EXPECTED: GraphFailureCase[] = [
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
  ...GRAPH_WIDE_CASES,
];

describe('Send API error codes become reasons (one case per table row)', () => {
  testGraphFailureCases(
    EXPECTED,
    () => graph,
    () =>
      worker.send(messengerMessage({ kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
      }),
  );

  testEveryGraphRowCased(SEND_API_FAILURES, EXPECTED, /Error Codes|Handling Errors/);
});
