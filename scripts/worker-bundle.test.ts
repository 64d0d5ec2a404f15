import { describe, expect, it } from 'vitest';
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, WORKER_ALIASES } from './worker-bundle';
import { readWranglerSettings } from './wrangler-config';

describe('the local Worker bundle', () => {
  it('uses the compatibility date, flags and aliases that wrangler.toml deploys with', async () => {
    const settings = await readWranglerSettings();
    expect(COMPATIBILITY_DATE).toBe(settings.compatibilityDate);
    expect(COMPATIBILITY_FLAGS).toEqual(settings.compatibilityFlags);
    expect(WORKER_ALIASES).toEqual(settings.alias);
  });

  it('sees the dispatch and callbacks queues, their dead letter queues and the sweep cron in wrangler.toml', async () => {
    const settings = await readWranglerSettings();
    expect(settings.queueProducers).toEqual({
      DISPATCH_QUEUE: { queueName: 'sendflow-dispatch' },
      CALLBACK_QUEUE: { queueName: 'sendflow-callbacks' },
    });
    expect(settings.queueConsumers).toMatchObject({
      'sendflow-dispatch': { maxBatchSize: 100, deadLetterQueue: 'sendflow-dispatch-dlq' },
      'sendflow-dispatch-dlq': {},
      'sendflow-callbacks': { maxBatchSize: 100, deadLetterQueue: 'sendflow-callbacks-dlq' },
    });
    expect(settings.crons).toEqual(['* * * * *']);
  });
});
