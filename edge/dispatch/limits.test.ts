import { describe, expect, it } from 'vitest';
import { readWranglerSettings } from '../../scripts/wrangler-config';
import { CALLBACK_DEAD_LETTER_QUEUE_NAME, CALLBACK_QUEUE_NAME } from '../callbacks/queues';
import { queueDelay } from './enqueue';
import {
  backoffSeconds,
  MAX_QUEUE_DELAY_SECONDS,
  MAX_SEND_ATTEMPTS,
  RETRY_MAX_SECONDS,
} from './limits';
import {
  DEAD_LETTER_QUEUE_NAME,
  DISPATCH_QUEUE_NAME,
  dispatchShardQueueName,
  isDispatchQueueName,
  readDispatchShards,
} from './queues';

describe('retry backoff', () => {
  it('doubles from ten seconds and stops growing at fifteen minutes', () => {
    expect([1, 2, 3, 4].map((attempts) => backoffSeconds(attempts))).toEqual([10, 20, 40, 80]);
    expect(backoffSeconds(30)).toBe(RETRY_MAX_SECONDS);
  });
});

describe('queue delays', () => {
  it('are whole seconds within what one message may carry', () => {
    expect(queueDelay(-3)).toBe(0);
    expect(queueDelay(1.2)).toBe(2);
    expect(queueDelay(3 * 24 * 60 * 60)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});

describe('wrangler.toml', () => {
  it('consumes the dispatch queue with retries for every send attempt and a dead letter queue', async () => {
    const { queueConsumers, queueProducers, crons } = await readWranglerSettings();
    const consumers = queueConsumers as Record<
      string,
      { maxRetries?: number; deadLetterQueue?: string }
    >;
    const dispatch = consumers[DISPATCH_QUEUE_NAME];
    // Each transient failure before the last attempt is one queue retry of the same message.
    expect(dispatch?.maxRetries).toBeGreaterThanOrEqual(MAX_SEND_ATTEMPTS - 1);
    expect(dispatch?.deadLetterQueue).toBe(DEAD_LETTER_QUEUE_NAME);
    expect(consumers[DEAD_LETTER_QUEUE_NAME]).toBeDefined();
    // Callback events that kept failing are consumed once more from their own dead letters.
    expect(consumers[CALLBACK_QUEUE_NAME]?.deadLetterQueue).toBe(CALLBACK_DEAD_LETTER_QUEUE_NAME);
    expect(consumers[CALLBACK_DEAD_LETTER_QUEUE_NAME]).toBeDefined();
    expect(JSON.stringify(queueProducers)).toContain(DISPATCH_QUEUE_NAME);
    expect(crons.length).toBeGreaterThan(0);
  });

  it("binds the dispatch shards without gaps, each consumed with the dispatch consumer's settings", async () => {
    const { queueConsumers, queueProducers, consumerConcurrency } = await readWranglerSettings();
    const { queues, problems } = readDispatchShards<{ queueName: string }>(queueProducers);
    expect(problems).toEqual([]);
    // Production starts with several shards (bench/README.md, "Capacity model").
    expect(queues.length).toBeGreaterThanOrEqual(4);
    expect(queues.map((queue) => queue.queueName)).toEqual(
      queues.map((_, shard) => dispatchShardQueueName(shard)),
    );
    const consumers = queueConsumers as Record<string, unknown>;
    const consumed = Object.keys(consumers).filter(isDispatchQueueName);
    // Every shard is consumed, and nothing else the handler would take for dispatch.
    expect(consumed.sort()).toEqual(queues.map((queue) => queue.queueName).sort());
    for (const queue of queues) {
      expect(consumers[queue.queueName]).toEqual(consumers[DISPATCH_QUEUE_NAME]);
      expect(consumerConcurrency[queue.queueName]).toBe(consumerConcurrency[DISPATCH_QUEUE_NAME]);
    }
  });
});
