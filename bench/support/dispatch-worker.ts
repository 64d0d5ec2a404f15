import { generateCredentialsKey } from '../../db/credentials';
import { DEAD_LETTER_QUEUE_NAME, DISPATCH_QUEUE_NAME } from '../../edge/dispatch/queues';
import { type DbProxy, type RunningWorker, startWorker } from '../../test/workerd';

/**
 * The bindings every benchmark gives the API Worker: the database through the local WebSocket
 * proxy, a fresh credentials key, and private URLs allowed for the local stand-ins.
 */
export function benchWorkerBindings(databaseUrl: string, proxy: DbProxy): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DB_WS_PROXY: proxy.wsProxy,
    CREDENTIALS_KEY: generateCredentialsKey(),
    ENVIRONMENT: 'development',
    ALLOW_PRIVATE_URLS: 'true',
  };
}

/**
 * The API Worker (edge/worker.ts) in workerd as the event suites run it: the dispatch queue
 * consumed in batches of 100, the EventHub and ChannelPacer Durable Objects bound, private URLs allowed for the
 * local stand-in provider. `inspector` opens the isolate's V8 inspector (bench/support/
 * isolate-heap.ts).
 */
export function startDispatchWorker(
  databaseUrl: string,
  proxy: DbProxy,
  options: { inspector?: boolean } = {},
): Promise<RunningWorker> {
  return startWorker({
    entry: 'edge/worker.ts',
    bindings: benchWorkerBindings(databaseUrl, proxy),
    queueProducers: { DISPATCH_QUEUE: DISPATCH_QUEUE_NAME },
    queueConsumers: {
      [DISPATCH_QUEUE_NAME]: {
        maxBatchSize: 100,
        maxBatchTimeout: 1,
        maxRetries: 5,
        deadLetterQueue: DEAD_LETTER_QUEUE_NAME,
      },
    },
    durableObjects: { EVENT_HUB: 'EventHub', CHANNEL_PACER: 'ChannelPacer' },
    inspector: options.inspector ?? false,
  });
}
