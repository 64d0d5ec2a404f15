import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { WEBHOOK_CONCURRENCY, WEBHOOK_LEASE_SECONDS, WEBHOOK_TIMEOUT_MS } from './limits';

test('each POST gets a timeout in the range Standard Webhooks recommends (15 to 30 s)', () => {
  // standardwebhooks.com, "Request timeouts": "somewhere between 15 and 30s".
  expect(WEBHOOK_TIMEOUT_MS).toBeGreaterThanOrEqual(15_000);
  expect(WEBHOOK_TIMEOUT_MS).toBeLessThanOrEqual(30_000);
});

test('a claim outlasts a whole queue batch of attempts that all time out', () => {
  // The webhook consumer's max_batch_size in wrangler.toml.
  const toml = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
  const consumer = /\[\[queues\.consumers\]\]\s*queue = "sendflow-webhooks"[^[]*/.exec(toml)?.[0];
  const batchSize = Number(/max_batch_size = (\d+)/.exec(consumer ?? '')?.[1]);
  expect(batchSize).toBeGreaterThan(0);
  const rounds = Math.ceil(batchSize / WEBHOOK_CONCURRENCY);
  expect(rounds * WEBHOOK_TIMEOUT_MS).toBeLessThan(WEBHOOK_LEASE_SECONDS * 1000);
});
