import { Webhook } from 'standardwebhooks';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { DEAD_LETTER_QUEUE_NAME, DISPATCH_QUEUE_NAME } from '../../edge/dispatch/queues';
import { WEBHOOK_QUEUE_NAME } from '../../edge/webhooks/queue';
import { type RunningWorker, startDbProxy, startWorker } from '../../test/workerd';
import type { Suite, SuiteOutcome } from '../suite';
import { onBenchDatabase } from '../support/database';
import { benchWorkerBindings } from '../support/dispatch-worker';
import { type FetchLike, mutate } from '../support/graphql';
import { listenLocal } from '../support/http-server';
import { startReceiptCounter } from '../support/receipt-counter';
import { figure, formatTable } from '../support/table';
import { filterWorkerLogs } from '../support/worker-logs';
import { START_WORKFLOW } from '../support/workflow-documents';
import {
  insertContacts,
  isRenderedMessage,
  publishOneStepWorkflow,
  signingSecret,
} from './dispatch-throughput';

/**
 * Partner webhook delivery throughput: 1,000 real sends through the Worker in workerd (custom
 * channel to a local endpoint) log 4 events each; one webhook endpoint takes every type, so
 * 4,000 webhooks are fanned out from the log, delivered from the webhook queue (batches of
 * 100), signed, and verified on arrival with the `standardwebhooks` library. Two figures:
 * webhooks per second between the first and the last arrival while the sends produce the
 * events (bounded by the sends' own rate), and then the delivery alone: the same 4,000 replayed
 * at once with `replayWebhookEndpoint` and drained from the queue.
 */

const SENDS = 1_000;
const EVENTS_PER_SEND = 4;
const START_CHUNK = 250;
const DEADLINE_MS = 240_000;

const CREATE_ENDPOINT = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    result: createWebhookEndpoint(input: $input) {
      __typename
      ... on MutationCreateWebhookEndpointSuccess { data { secret endpoint { id } } }
      ... on ValidationError { issues { message } }
    }
  }
`;

const REPLAY_ENDPOINT = /* GraphQL */ `
  mutation ($endpointId: ID!, $since: DateTime!) {
    result: replayWebhookEndpoint(endpointId: $endpointId, since: $since) {
      __typename
      ... on MutationReplayWebhookEndpointSuccess { data { replayed continueFrom } }
      ... on NotFoundError { entity }
    }
  }
`;

/** A partner receiver: answers 200 at once, verifies each webhook, counts distinct ids. */
async function startWebhookCounter() {
  let verifier: Webhook | undefined;
  const firstArrival = new Map<string, number>();
  /** performance.now() of every verified arrival, replays included. */
  const arrivals: number[] = [];
  const state = { duplicates: 0, rejected: 0 };
  const server = await listenLocal(function receive(request, response) {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      response.writeHead(200).end();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifier?.verify(body, request.headers as Record<string, string>);
      } catch {
        state.rejected++;
        return;
      }
      arrivals.push(at);
      const id = String(request.headers['webhook-id']);
      if (firstArrival.has(id)) state.duplicates++;
      else firstArrival.set(id, at);
    });
  });
  return {
    url: `${server.url}/partner`,
    useSecret(secret: string) {
      verifier = new Webhook(secret);
    },
    firstArrival,
    arrivals,
    state,
    close: () => server.close(),
  };
}

async function measure(databaseUrl: string): Promise<SuiteOutcome> {
  const postgres = createNodePostgres(databaseUrl, { max: 2 });
  const proxy = await startDbProxy(databaseUrl);
  const secret = signingSecret();
  const sends = await startReceiptCounter(secret, isRenderedMessage);
  const partner = await startWebhookCounter();
  let worker: RunningWorker | undefined;
  const logs = filterWorkerLogs();
  try {
    worker = await startWorker({
      entry: 'edge/worker.ts',
      bindings: benchWorkerBindings(databaseUrl, proxy),
      queueProducers: { DISPATCH_QUEUE: DISPATCH_QUEUE_NAME, WEBHOOK_QUEUE: WEBHOOK_QUEUE_NAME },
      queueConsumers: {
        [DISPATCH_QUEUE_NAME]: {
          maxBatchSize: 100,
          maxBatchTimeout: 1,
          maxRetries: 5,
          deadLetterQueue: DEAD_LETTER_QUEUE_NAME,
        },
        [WEBHOOK_QUEUE_NAME]: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10 },
      },
      durableObjects: { EVENT_HUB: 'EventHub' },
    });
    const running = worker;
    const fetcher: FetchLike = (url, init) =>
      running.dispatchFetch(url, init as never) as unknown as Promise<Response>;
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Hooks' });
    const contactIds = await insertContacts(postgres.db, workspaceId, SENDS);
    const workflowId = await publishOneStepWorkflow(fetcher, apiKey, sends.url, secret);
    const created = await mutate(fetcher, 'http://worker/graphql', apiKey, CREATE_ENDPOINT, {
      input: { url: partner.url },
    });
    partner.useSecret(created.secret);
    const endpointId: string = created.endpoint.id;

    const started = performance.now();
    for (let start = 0; start < SENDS; start += START_CHUNK) {
      await mutate(fetcher, 'http://worker/graphql', apiKey, START_WORKFLOW, {
        input: { workflowId, contactIds: contactIds.slice(start, start + START_CHUNK) },
      });
    }
    const expected = SENDS * EVENTS_PER_SEND;
    let complete = true;
    try {
      await sends.waitFor(SENDS, DEADLINE_MS);
      const deadline = started + DEADLINE_MS;
      while (partner.firstArrival.size < expected && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch {
      complete = false;
    }
    if (partner.firstArrival.size < expected) complete = false;
    // A moment for duplicates to show.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const arrivals = [...partner.firstArrival.values()].sort((a, b) => a - b);
    const first = arrivals[0] ?? started;
    const last = arrivals.at(-1) ?? started;
    const webhooksPerSecond = arrivals.length / Math.max(0.001, (last - first) / 1000);
    const sendSpan = ((sends.arrivals.at(-1) ?? started) - (sends.arrivals[0] ?? started)) / 1000;
    const sendsPerSecond = sends.arrivals.length / Math.max(0.001, sendSpan);
    const lagSeconds = (last - (sends.arrivals.at(-1) ?? last)) / 1000;
    const duplicatesBeforeReplay = partner.state.duplicates;

    // The delivery alone: every message replayed at once, drained from the queue.
    const before = partner.arrivals.length;
    const replayStarted = performance.now();
    const replay = await mutate(fetcher, 'http://worker/graphql', apiKey, REPLAY_ENDPOINT, {
      endpointId,
      since: '2000-01-01T00:00:00Z',
    });
    const replayDeadline = replayStarted + DEADLINE_MS;
    while (partner.arrivals.length - before < expected && performance.now() < replayDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const replayed = partner.arrivals.slice(before);
    const drainSeconds = ((replayed.at(-1) ?? replayStarted) - replayStarted) / 1000;
    const drainPerSecond = replayed.length / Math.max(0.001, drainSeconds);
    const replayComplete = replay.replayed === expected && replayed.length === expected;

    const ok =
      complete &&
      replayComplete &&
      duplicatesBeforeReplay === 0 &&
      partner.state.rejected === 0 &&
      sends.rejected === 0;
    console.log(
      formatTable(
        ['what', 'count', 'per s', 'first → last s', 'duplicates', 'unverified'],
        [
          [
            'sends (custom channel)',
            figure(sends.arrivals.length),
            figure(sendsPerSecond),
            figure(sendSpan, 1),
            figure(sends.duplicates),
            figure(sends.rejected),
          ],
          [
            'webhooks as the sends run (1 endpoint, all types)',
            figure(arrivals.length),
            figure(webhooksPerSecond),
            figure((last - first) / 1000, 1),
            figure(duplicatesBeforeReplay),
            figure(partner.state.rejected),
          ],
          [
            'webhooks replayed at once (delivery alone)',
            figure(replayed.length),
            figure(drainPerSecond),
            figure(drainSeconds, 1),
            '-',
            '-',
          ],
        ],
      ),
    );
    console.log(`  last webhook ${figure(lagSeconds, 1)} s after the last send`);
    return {
      ok,
      headlines: [
        `webhook delivery: ${figure(drainPerSecond)} webhooks/s draining ${figure(replayed.length)} ` +
          `replayed at once; ${figure(webhooksPerSecond)}/s while ${figure(SENDS)} sends ` +
          `(${figure(sendsPerSecond)}/s) produced ${figure(arrivals.length)} of ${figure(expected)}; ` +
          `all signed and verified, ${figure(duplicatesBeforeReplay)} duplicates` +
          `${ok ? '' : ' (CHECKS FAILED)'}`,
      ],
    };
  } finally {
    logs.restore();
    await worker?.dispose();
    await partner.close();
    await sends.close();
    await proxy.close();
    await postgres.close();
  }
}

export const webhookThroughputSuite: Suite = {
  name: 'webhook-throughput',
  title: 'partner webhooks delivered per second from the events of real sends (issue 8)',
  run: () => onBenchDatabase('webhook_throughput', measure),
};
