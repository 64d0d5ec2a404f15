/**
 * The dispatch queue's shards (wrangler.toml). Shard 0 is `sendflow-dispatch`, bound as
 * `DISPATCH_QUEUE`, the one queue deployments have always had; shard n > 0 is
 * `sendflow-dispatch-<n>`, bound as `DISPATCH_QUEUE_<n>`. Every shard has the same consumer
 * settings and dead letter queue, and the Worker consumes them all alike: a shard only spreads
 * messages over more queues (a Cloudflare queue carries ~5,000 messages/s; bench/README.md,
 * "Capacity model").
 */
export const DISPATCH_QUEUE_NAME = 'sendflow-dispatch';

/** Where the dispatch queue sends messages it gave up on (its `dead_letter_queue`). */
export const DEAD_LETTER_QUEUE_NAME = 'sendflow-dispatch-dlq';

/** The producer binding of shard 0; shard n > 0 adds `_<n>`. */
export const DISPATCH_QUEUE_BINDING = 'DISPATCH_QUEUE';

/** The queue name of shard `shard`. */
export function dispatchShardQueueName(shard: number): string {
  return shard === 0 ? DISPATCH_QUEUE_NAME : `${DISPATCH_QUEUE_NAME}-${shard}`;
}

/** The producer binding of shard `shard`. */
export function dispatchShardBinding(shard: number): string {
  return shard === 0 ? DISPATCH_QUEUE_BINDING : `${DISPATCH_QUEUE_BINDING}_${shard}`;
}

const SHARD_QUEUE_NAME = /^sendflow-dispatch(?:-[1-9]\d*)?$/;
const SHARD_BINDING = /^DISPATCH_QUEUE_([1-9]\d*)$/;

/** Whether a batch from queue `name` is dispatch work (any shard; not the dead letter queue). */
export function isDispatchQueueName(name: string): boolean {
  return SHARD_QUEUE_NAME.test(name);
}

/**
 * The dispatch shards bound in `bindings`, in shard order, and what is wrong with them: shards
 * must be numbered from 0 without gaps, because the shard of a run is its hash modulo the
 * count (edge/dispatch/shards.ts), and a gap would leave a configured queue unused.
 */
export function readDispatchShards<Queue>(bindings: Readonly<Record<string, unknown>>): {
  queues: Queue[];
  problems: string[];
} {
  const numbers = Object.keys(bindings)
    .flatMap((name) => {
      const match = SHARD_BINDING.exec(name);
      return match && bindings[name] ? [Number(match[1])] : [];
    })
    .sort((a, b) => a - b);
  const queues: Queue[] = [];
  for (let shard = 0; bindings[dispatchShardBinding(shard)]; shard++) {
    queues.push(bindings[dispatchShardBinding(shard)] as Queue);
  }
  const problems: string[] = [];
  const highest = numbers.at(-1);
  if (highest !== undefined && queues.length !== highest + 1) {
    problems.push(
      `${dispatchShardBinding(highest)} is bound but ${dispatchShardBinding(queues.length)} is not: ` +
        'dispatch shards are numbered from DISPATCH_QUEUE (shard 0) without gaps',
    );
  }
  return { queues, problems };
}
