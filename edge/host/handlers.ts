import { connect } from 'cloudflare:sockets';
import type {
  ExecutionContext,
  MessageBatch,
  ScheduledController,
} from '@cloudflare/workers-types/latest';
import { CredentialCipher } from '../../db/credentials';
import { consumeChannelEvents } from '../callbacks/consumer';
import { CALLBACK_DEAD_LETTER_QUEUE_NAME, CALLBACK_QUEUE_NAME } from '../callbacks/queues';
import { adapterFor } from '../channels/registry';
import { dispatchBatch, settle } from '../dispatch/consumer';
import { deadLetterBatch } from '../dispatch/dead-letter';
import { DEAD_LETTER_QUEUE_NAME, isDispatchQueueName } from '../dispatch/queues';
import { sweep } from '../dispatch/sweep';
import { publishInBackground } from '../events/background';
import { hubPublisher } from '../events/hub-publisher';
import { log } from '../log';
import { channelPacer } from '../pacing/client';
import { consumeSegmentChunks, failSegmentStarts } from '../segments/consumer';
import {
  SEGMENT_DEAD_LETTER_QUEUE_NAME,
  SEGMENT_QUEUE_NAME,
  segmentQueueSender,
} from '../segments/message';
import { sweepSegmentStarts } from '../segments/sweep';
import { consumeWebhookBatch } from '../webhooks/consumer';
import { withWebhookFanout } from '../webhooks/publisher';
import { WEBHOOK_QUEUE_NAME } from '../webhooks/queue';
import { sweepWebhooks } from '../webhooks/sweep';
import { openDatabase } from './database';
import { dispatchSender } from './dispatch-sender';
import { type Env, parseConfig } from './env';
import { mediaRuntime } from './media-runtime';

/**
 * Where the events an invocation logs are published: the workspace's EventHub and the partner
 * webhooks' fan-out. Publishing does not hold the invocation's work: its I/O would otherwise
 * sit between a batch's claim and its sends, and between its record and the next batch.
 */
function pipelineEvents(env: Env, ctx: ExecutionContext) {
  return publishInBackground(
    withWebhookFanout(env.EVENT_HUB ? hubPublisher(env.EVENT_HUB) : undefined, env.WEBHOOK_QUEUE),
    (promise) => ctx.waitUntil(promise),
  );
}

/**
 * The Worker's `queue` handler: batches from any dispatch shard are dispatched, batches from
 * its dead letter queue fail their steps, and batches from the callbacks queue (and, once more
 * without waiting for late sends, its dead letter queue) record provider statuses and inbound
 * messages; batches from the webhook queue fan out events and deliver webhooks, and batches
 * from the segments queue start chunks of segment starts (its dead letter queue marks them
 * failed). The database pool lives for this invocation only.
 * An exception (the database is down) leaves every unsettled message to the queue's retry.
 */
export async function queue(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const config = parseConfig(env);
  const { db, close } = openDatabase(config);
  const sender = dispatchSender(env);
  const events = pipelineEvents(env, ctx);
  try {
    if (batch.queue === WEBHOOK_QUEUE_NAME) {
      await consumeWebhookBatch(batch.messages, {
        db,
        cipher: new CredentialCipher(config.credentialsKey),
        queue: env.WEBHOOK_QUEUE,
        allowPrivateUrls: config.allowPrivateUrls,
        events,
        disableAfterHours: config.webhookDisableAfterHours,
      });
      return;
    }
    if (batch.queue === DEAD_LETTER_QUEUE_NAME) {
      await deadLetterBatch(batch.messages, { db, sender, events });
      return;
    }
    if (batch.queue === SEGMENT_QUEUE_NAME) {
      // Each chunk sends the next one: without the producer the start could not go on.
      if (!env.SEGMENT_QUEUE) throw new Error('SEGMENT_QUEUE is not bound (wrangler.toml)');
      const segments = segmentQueueSender(env.SEGMENT_QUEUE);
      await consumeSegmentChunks(batch.messages, { db, dispatch: sender, segments, events });
      return;
    }
    if (batch.queue === SEGMENT_DEAD_LETTER_QUEUE_NAME) {
      await failSegmentStarts(batch.messages, db);
      return;
    }
    if (batch.queue === CALLBACK_QUEUE_NAME || batch.queue === CALLBACK_DEAD_LETTER_QUEUE_NAME) {
      const deadLettered = batch.queue === CALLBACK_DEAD_LETTER_QUEUE_NAME;
      settle(await consumeChannelEvents(batch.messages, { db, sender, events, deadLettered }));
      return;
    }
    if (!isDispatchQueueName(batch.queue)) {
      // A queue wrangler.toml routes here that none of the branches above knows: dispatching
      // its messages would be a guess. Failing the batch logs the queue's name (below) and
      // leaves the messages to that queue's retries and dead letter settings.
      throw new Error(`no consumer for queue ${batch.queue}`);
    }
    const settlements = await dispatchBatch(batch.messages, {
      db,
      sender,
      cipher: new CredentialCipher(config.credentialsKey),
      adapterFor,
      allowPrivateUrls: config.allowPrivateUrls,
      connectTcp: connect,
      endpoints: config.providerEndpoints,
      callbackOrigin: config.publicUrl,
      events,
      ...(env.CHANNEL_PACER ? { pacer: channelPacer(env.CHANNEL_PACER) } : {}),
      ...mediaRuntime(env, config),
    });
    settle(settlements);
  } catch (error) {
    log('error', 'dispatch: batch failed; the queue will retry it', {
      queue: batch.queue,
      messages: batch.messages.length,
      error,
    });
    throw error;
  } finally {
    ctx.waitUntil(close());
  }
}

/**
 * The Worker's `scheduled` handler: the cron sweeps of dispatch (edge/dispatch/sweep.ts),
 * webhooks (edge/webhooks/sweep.ts) and segment starts (edge/segments/sweep.ts).
 */
export async function scheduled(
  _controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const config = parseConfig(env);
  const { db, close } = openDatabase(config);
  // The sweep's events (a cancelled run's delivery failed) go out as the consumers' do.
  const events = pipelineEvents(env, ctx);
  try {
    await sweep(db, dispatchSender(env), { events });
    if (env.WEBHOOK_QUEUE) await sweepWebhooks(db, env.WEBHOOK_QUEUE);
    if (env.SEGMENT_QUEUE) await sweepSegmentStarts(db, segmentQueueSender(env.SEGMENT_QUEUE));
  } finally {
    ctx.waitUntil(close());
  }
}
