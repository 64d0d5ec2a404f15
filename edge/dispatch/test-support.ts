import { createServer } from 'node:net';
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
import { SEGMENT_DEAD_LETTER_QUEUE_NAME, SEGMENT_QUEUE_NAME } from '../segments/message';
import { WEBHOOK_QUEUE_NAME } from '../webhooks/queue';
import { DEAD_LETTER_QUEUE_NAME, dispatchShardBinding, dispatchShardQueueName } from './queues';

/**
 * Test support for the dispatch pipeline: the real Worker bundle (edge/worker.ts) in Miniflare
 * with the real dispatch queue (one shard, or as many as asked for), its dead letter queue and
 * the cron handler, reaching this run's
 * test Postgres through the Neon driver (rows are seeded with ./test-seed.ts).
 */

export interface DispatchHarness {
  worker: RunningWorker;
  db: Database;
  cipher: CredentialCipher;
  /** The Worker's CREDENTIALS_KEY (media links are signed with a key derived from it). */
  credentialsKey: string;
  /**
   * Sends one GraphQL operation with files through the Worker's fetch handler, as the GraphQL
   * multipart request spec has it: `operations`, `map`, then one part per file.
   */
  upload(
    apiKey: string,
    query: string,
    variables: Record<string, unknown>,
    files: Record<string, File>,
  ): Promise<GqlResult>;
  /** Sends one GraphQL operation through the Worker's fetch handler. */
  gql(apiKey: string, query: string, variables?: Record<string, unknown>): Promise<GqlResult>;
  /**
   * Puts a message on the dispatch queue (or another of the Worker's queues, or dispatch shard
   * `{ shard }`) as a producer would.
   */
  enqueue(
    body: unknown,
    queue?: QueueName | { shard: number } | { unknown: string },
  ): Promise<void>;
  close(): Promise<void>;
}

/** The queues a test may produce into, by the binding the harness gives each. */
const QUEUE_BINDINGS = {
  dispatch: 'DISPATCH_QUEUE',
  'dead-letter': 'DEAD_LETTER_QUEUE',
  segments: 'SEGMENT_QUEUE',
  'segments-dead-letter': 'SEGMENT_DEAD_LETTER_QUEUE',
} as const;

export type QueueName = keyof typeof QUEUE_BINDINGS;

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
  /**
   * Binds the media bucket (in memory) and sets PUBLIC_URL to the Worker's own address, so that
   * signed media links point at it.
   */
  media?: boolean;
  /** Binds the partner webhook queue (producer and consumer, as wrangler.toml declares it). */
  webhooks?: boolean;
  /** Dispatch shards bound (edge/dispatch/queues.ts), default 1: `sendflow-dispatch` alone. */
  dispatchShards?: number;
  /** The shards that have a consumer (default: all); the others only collect messages. */
  consumedShards?: readonly number[];
  /** The Worker entry (default edge/worker.ts), e.g. a test fixture wrapping it. */
  entry?: string;
  /**
   * Queues the Worker has no branch for, consumed as a dispatch shard would be (producer binding
   * = the queue's name): what a misnamed queue in wrangler.toml would deliver.
   */
  unknownQueues?: readonly string[];
}

/** A port nothing listens on right now, so that PUBLIC_URL can be known before the Worker starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the Worker with its queues and a Node-side pool onto the same database. */
export async function startDispatchHarness(options: HarnessOptions = {}): Promise<DispatchHarness> {
  const databaseUrl = inject('databaseUrl');
  const credentialsKey = generateCredentialsKey();
  const proxy: DbProxy = await startDbProxy(databaseUrl);
  const postgres = createNodePostgres(databaseUrl, { max: 4 });
  const port = options.media ? await freePort() : undefined;
  const shards = Array.from({ length: options.dispatchShards ?? 1 }, (_, shard) => shard);
  const dispatchConsumer = {
    maxBatchSize: options.maxBatchSize ?? 10,
    maxBatchTimeout: 1,
    maxRetries: options.maxRetries ?? 10,
    deadLetterQueue: DEAD_LETTER_QUEUE_NAME,
  };
  const worker = await startWorker({
    entry: options.entry ?? 'edge/worker.ts',
    bindings: {
      ...testDatabaseBindings(proxy),
      CREDENTIALS_KEY: credentialsKey,
      ENVIRONMENT: 'development',
      ALLOW_PRIVATE_URLS: 'true',
      ...(port ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
      ...options.bindings,
    },
    ...(port ? { port, r2Buckets: { MEDIA_BUCKET: 'sendflow-media' } } : {}),
    queueProducers: {
      ...Object.fromEntries(
        shards.map((shard) => [dispatchShardBinding(shard), dispatchShardQueueName(shard)]),
      ),
      ...Object.fromEntries((options.unknownQueues ?? []).map((name) => [name, name])),
      CALLBACK_QUEUE: CALLBACK_QUEUE_NAME,
      // Only tests produce into the dead letter queue directly.
      DEAD_LETTER_QUEUE: DEAD_LETTER_QUEUE_NAME,
      ...(options.webhooks ? { WEBHOOK_QUEUE: WEBHOOK_QUEUE_NAME } : {}),
      SEGMENT_QUEUE: SEGMENT_QUEUE_NAME,
      SEGMENT_DEAD_LETTER_QUEUE: SEGMENT_DEAD_LETTER_QUEUE_NAME,
    },
    queueConsumers: {
      // As wrangler.toml: every shard's consumer alike.
      ...Object.fromEntries(
        (options.consumedShards ?? shards).map((shard) => [
          dispatchShardQueueName(shard),
          dispatchConsumer,
        ]),
      ),
      ...Object.fromEntries(
        (options.unknownQueues ?? []).map((name) => [
          name,
          // No retries and no dead letter queue: a refused batch is simply gone.
          { maxBatchSize: dispatchConsumer.maxBatchSize, maxBatchTimeout: 1, maxRetries: 0 },
        ]),
      ),
      [DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      [CALLBACK_QUEUE_NAME]: {
        maxBatchSize: 10,
        maxBatchTimeout: 1,
        maxRetries: 10,
        deadLetterQueue: CALLBACK_DEAD_LETTER_QUEUE_NAME,
      },
      [CALLBACK_DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
      ...(options.webhooks
        ? { [WEBHOOK_QUEUE_NAME]: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10 } }
        : {}),
      // As wrangler.toml: one chunk per invocation.
      [SEGMENT_QUEUE_NAME]: {
        maxBatchSize: 1,
        maxBatchTimeout: 1,
        maxRetries: 10,
        deadLetterQueue: SEGMENT_DEAD_LETTER_QUEUE_NAME,
      },
      [SEGMENT_DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
    },
    durableObjects: { EVENT_HUB: 'EventHub', CHANNEL_PACER: 'ChannelPacer' },
    scheduled: true,
    ...(options.trustedCertificates ? { trustedCertificates: options.trustedCertificates } : {}),
  });
  return {
    worker,
    db: postgres.db,
    cipher: new CredentialCipher(credentialsKey),
    credentialsKey,
    async upload(apiKey, query, variables, files) {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query, variables }));
      const names = Object.keys(files);
      form.set(
        'map',
        JSON.stringify(
          Object.fromEntries(names.map((name, index) => [index, [`variables.${name}`]])),
        ),
      );
      for (const [index, name] of names.entries()) form.set(String(index), files[name]!);
      // Over HTTP, as a client sends it: the multipart body goes through workerd's parser.
      const response = await fetch(`${worker.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: form,
      });
      return (await response.json()) as GqlResult;
    },
    async gql(apiKey, query, variables) {
      const response = await worker.dispatchFetch('http://worker.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GqlResult;
    },
    async enqueue(body, queue = 'dispatch') {
      const binding =
        typeof queue !== 'object'
          ? QUEUE_BINDINGS[queue]
          : 'shard' in queue
            ? dispatchShardBinding(queue.shard)
            : queue.unknown;
      const producer = await worker.mf.getQueueProducer(binding);
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
