import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphError, type MetaGraph, startMetaGraph } from '../../../test/fakes/meta-graph';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import {
  GRAPH_WIDE_CASES,
  type GraphFailureCase,
  testEveryGraphRowCased,
  testGraphFailureCases,
} from '../meta/graph-failure-cases';
import { WHATSAPP_FAILURES } from './failures';
import { TEST_GRAPH_VERSION, WHATSAPP_TEST_IDS, whatsappMessage } from './test-fixtures';

let graph: MetaGraph;
let worker: AdapterWorker;

beforeAll(async () => {
  graph = await startMetaGraph({ ...WHATSAPP_TEST_IDS, version: TEST_GRAPH_VERSION });
  worker = await startAdapterWorker();
});

afterAll(async () => {
  await worker?.dispose();
  await graph?.close();
});

/**
 * What each documented error must become, written out here independently of the table: the
 * issue's list (190 credentials, 131047 window, 131026 recipient, 130429/131056/4/613 rate,
 * 132001/132000 template, 100 content) and the rest of Meta's "Error codes" page. Every table
 * row is a case below (the last test checks none is missing).
 */
const EXPECTED: GraphFailureCase[] = [
  [0, null, 401, 'credentials_rejected', false],
  [3, null, 403, 'credentials_rejected', false],
  [131005, null, 403, 'credentials_rejected', false],
  [80007, null, 400, 'rate_limited', true],
  [130429, null, 429, 'rate_limited', true],
  [131048, null, 400, 'rate_limited', true],
  [131056, null, 400, 'rate_limited', true],
  [131047, null, 400, 'messaging_window_closed', false],
  [131026, null, 400, 'recipient_unavailable', false],
  [131021, null, 400, 'recipient_unavailable', false],
  [131050, null, 400, 'recipient_unavailable', false],
  [130472, null, 400, 'recipient_unavailable', false],
  [130497, null, 400, 'recipient_unavailable', false],
  [132000, null, 400, 'template_invalid', false],
  [132001, null, 404, 'template_invalid', false],
  [132005, null, 400, 'template_invalid', false],
  [132007, null, 400, 'template_invalid', false],
  [132012, null, 400, 'template_invalid', false],
  [132015, null, 400, 'template_invalid', false],
  [132016, null, 400, 'template_invalid', false],
  [132018, null, 400, 'template_invalid', false],
  [100, 33, 400, 'channel_not_connected', false],
  [100, null, 400, 'content_invalid', false],
  [131008, null, 400, 'content_invalid', false],
  [131009, null, 400, 'content_invalid', false],
  [131051, null, 400, 'content_invalid', false],
  [131052, null, 400, 'content_invalid', false],
  [131053, null, 400, 'content_invalid', false],
  [131062, null, 400, 'content_invalid', false],
  [33, null, 400, 'channel_not_connected', false],
  [133010, null, 400, 'channel_not_connected', false],
  [131031, null, 403, 'channel_not_connected', false],
  [131042, null, 400, 'channel_not_connected', false],
  [131000, null, 500, 'network', true],
  [131016, null, 503, 'network', true],
  [131057, null, 400, 'network', true],
  ...GRAPH_WIDE_CASES,
];

describe('WhatsApp error codes become reasons (one case per table row)', () => {
  testGraphFailureCases(
    EXPECTED,
    () => graph,
    () =>
      worker.send(whatsappMessage({ kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
      }),
  );

  test('an error code no row names falls back to its HTTP status', async () => {
    graph.replyNext(graphError(400, 999999, '(#999999) something new'));
    const outcome = await worker.send(whatsappMessage({ kind: 'text', text: 'Hi' }), {
      allowPrivateUrls: false,
      endpoints: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
    });
    expect(outcome).toMatchObject({ reason: 'rejected_by_provider', retryable: false });
  });

  testEveryGraphRowCased(
    WHATSAPP_FAILURES,
    EXPECTED,
    /Error codes|Handling Errors|Business-scoped user IDs/,
  );
});
