import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleWorker } from './worker-bundle';
import { readWranglerSettings } from './wrangler-config';

/** Workers' limit for a compressed script on the free plan (paid plans allow 10 MiB). */
const FREE_PLAN_SCRIPT_LIMIT = 3 * 1024 * 1024;
let outdir: string | undefined;

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('the Worker bundle (wrangler deploy --dry-run)', () => {
  it('fits the free plan script limit, holds one copy of graphql and evaluates MJML only when first used', async () => {
    outdir = await mkdtemp(join(tmpdir(), 'sendflow-deploy-'));
    const { scriptPath } = await bundleWorker('edge/worker.ts', outdir);
    const bundle = await readFile(scriptPath, 'utf8');
    expect(gzipSync(bundle).length).toBeLessThan(FREE_PLAN_SCRIPT_LIMIT);
    // esbuild heads each bundled file with its path: a second GraphQLError module (the CommonJS
    // .js beside the .mjs) would break graphql's instanceof checks.
    const copies = bundle.match(/^\/\/ node_modules\/graphql\/error\/GraphQLError\.m?js$/gm);
    expect(copies).toEqual(['// node_modules/graphql/error/GraphQLError.mjs']);

    // MJML is evaluated on the first email compiled, not when the script starts
    // (edge/render/compiled-email.ts): its module's wrapper is called only from the lazy import.
    const wrapper = /^\/\/ node_modules\/mjml\/lib\/index\.js\nvar (\w+) = __commonJS\(/m.exec(
      bundle,
    )?.[1];
    expect(wrapper).toBeDefined();
    const calls = [...bundle.matchAll(new RegExp(`.{0,40}\\b${wrapper}\\(\\)`, 'g'))].map(
      (match) => match[0],
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('Promise.resolve().then(() => __toESM(');
  }, 180_000);

  it('sees the dispatch shards, callbacks, segment and webhook queues, their dead letter queues and the sweep cron in wrangler.toml', async () => {
    const settings = await readWranglerSettings();
    expect(settings.queueProducers).toEqual({
      DISPATCH_QUEUE: { queueName: 'sendflow-dispatch' },
      DISPATCH_QUEUE_1: { queueName: 'sendflow-dispatch-1' },
      DISPATCH_QUEUE_2: { queueName: 'sendflow-dispatch-2' },
      DISPATCH_QUEUE_3: { queueName: 'sendflow-dispatch-3' },
      CALLBACK_QUEUE: { queueName: 'sendflow-callbacks' },
      SEGMENT_QUEUE: { queueName: 'sendflow-segments' },
      WEBHOOK_QUEUE: { queueName: 'sendflow-webhooks' },
    });
    expect(settings.queueConsumers).toMatchObject({
      'sendflow-dispatch': { maxBatchSize: 100, deadLetterQueue: 'sendflow-dispatch-dlq' },
      'sendflow-dispatch-3': { maxBatchSize: 100, deadLetterQueue: 'sendflow-dispatch-dlq' },
      'sendflow-dispatch-dlq': {},
      'sendflow-callbacks': { maxBatchSize: 100, deadLetterQueue: 'sendflow-callbacks-dlq' },
      // One chunk of a segment start per invocation (edge/segments/limits.ts).
      'sendflow-segments': { maxBatchSize: 1, deadLetterQueue: 'sendflow-segments-dlq' },
      'sendflow-segments-dlq': {},
      'sendflow-webhooks': { maxBatchSize: 100 },
    });
    expect(settings.crons).toEqual(['* * * * *']);
  });
});
