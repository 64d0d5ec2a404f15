import { type DispatchQueue, type DispatchSender, queueSender } from '../dispatch/enqueue';
import { readDispatchShards } from '../dispatch/queues';
import type { Env } from './env';

/**
 * The sender over every dispatch shard bound to this Worker (DISPATCH_QUEUE, DISPATCH_QUEUE_1,
 * …): the API, the consumers and the sweep all enqueue through it, so a run's messages go to
 * its shard whoever sends them. parseConfig has already refused shards numbered with gaps.
 */
export function dispatchSender(env: Env): DispatchSender {
  return queueSender(
    readDispatchShards<DispatchQueue>(env as unknown as Record<string, unknown>).queues,
  );
}
