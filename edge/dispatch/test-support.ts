import { inject } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import {
  type DbProxy,
  type RunningWorker,
  startDbProxy,
  startWorker,
  testDatabaseBindings,
} from '../../test/workerd';
import { CALLBACK_DEAD_LETTER_QUEUE_NAME, CALLBACK_QUEUE_NAME } from '../callbacks/queues';
import { DEAD_LETTER_QUEUE_NAME, DISPATCH_QUEUE_NAME } from './queues';

/**
 * Test support for the dispatch pipeline: the real Worker bundle (edge/worker.ts) in Miniflare
 * with the real dispatch queue, its dead letter queue and the cron handler, reaching this run's
 * test Postgres through the Neon driver (rows are seeded with ./test-seed.ts).
 */

export interface DispatchHarness {
  worker: RunningWorker;
  db: Database;
  cipher: CredentialCipher;
  /** Sends one GraphQL operation through the Worker's fetch handler. */
  gql(apiKey: string, query: string, variables?: Record<string, unknown>): Promise<GqlResult>;
  /** Puts a message on the dispatch queue (or its dead letter queue) as a producer would. */
  enqueue(body: unknown, queue?: 'dispatch' | 'dead-letter'): Promise<void>;
  close(): Promise<void>;
}

export interface GqlResult {
  // biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary response shapes
  data: any;
  // biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary response shapes
  errors?: any[];
}

export interface HarnessOptions {
  maxBatchSize?: number;
  maxRetries?: number;
  trustedCertificates?: string[];
  /** More Worker bindings, e.g. `GRAPH_API_URL` pointing at a provider stand-in. */
  bindings?: Record<string, string>;
}

/** Starts the Worker with its queues and a Node-side pool onto the same database. */
export async function startDispatchHarness(options: HarnessOptions = {}): Promise<DispatchHarness> {
  const databaseUrl = inject('databaseUrl');
  const credentialsKey = generateCredentialsKey();
  const proxy: DbProxy = await startDbProxy(databaseUrl);
  const postgres = createNodePostgres(databaseUrl, { max: 4 });
  const worker = await startWorker({
    entry: 'edge/worker.ts',
    bindings: {
      ...testDatabaseBindings(proxy),
      CREDENTIALS_KEY: credentialsKey,
      ENVIRONMENT: 'development',
      ALLOW_PRIVATE_URLS: 'true',
      ...options.bindings,
    },
    queueProducers: {
      DISPATCH_QUEUE: DISPATCH_QUEUE_NAME,
      CALLBACK_QUEUE: CALLBACK_QUEUE_NAME,
      // Only tests produce into the dead letter queue directly.
      DEAD_LETTER_QUEUE: DEAD_LETTER_QUEUE_NAME,
    },
    queueConsumers: {
      [DISPATCH_QUEUE_NAME]: {
        maxBatchSize: options.maxBatchSize ?? 10,
        maxBatchTimeout: 1,
        maxRetries: options.maxRetries ?? 10,
        deadLetterQueue: DEAD_LETTER_QUEUE_NAME,
      },
      [DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      [CALLBACK_QUEUE_NAME]: {
        maxBatchSize: 10,
        maxBatchTimeout: 1,
        maxRetries: 10,
        deadLetterQueue: CALLBACK_DEAD_LETTER_QUEUE_NAME,
      },
      [CALLBACK_DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
    },
    durableObjects: { EVENT_HUB: 'EventHub' },
    scheduled: true,
    ...(options.trustedCertificates ? { trustedCertificates: options.trustedCertificates } : {}),
  });
  return {
    worker,
    db: postgres.db,
    cipher: new CredentialCipher(credentialsKey),
    async gql(apiKey, query, variables) {
      const response = await worker.dispatchFetch('http://worker.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GqlResult;
    },
    async enqueue(body, queue = 'dispatch') {
      const producer = await worker.mf.getQueueProducer(
        queue === 'dispatch' ? 'DISPATCH_QUEUE' : 'DEAD_LETTER_QUEUE',
      );
      await producer.send(body);
    },
    async close() {
      await worker.dispose();
      await proxy.close();
      await postgres.close();
    },
  };
}

export const START_WORKFLOW = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) {
      __typename
      ... on MutationStartWorkflowSuccess { data { runCount runs { id status stepVisit } } }
      ... on ValidationError { issues { code path message } }
      ... on NotFoundError { entity id }
    }
  }
`;

/** Starts a workflow through GraphQL in the Worker; returns the run ids. */
export async function startThroughApi(
  harness: DispatchHarness,
  apiKey: string,
  workflowId: string,
  contactIds: string[],
  variables?: Record<string, string>,
): Promise<string[]> {
  const result = await harness.gql(apiKey, START_WORKFLOW, {
    input: { workflowId, contactIds, variables },
  });
  const payload = result.data?.startWorkflow;
  if (payload?.__typename !== 'MutationStartWorkflowSuccess') {
    throw new Error(`startWorkflow failed: ${JSON.stringify(result)}`);
  }
  return payload.data.runs.map((run: { id: string }) => run.id);
}
