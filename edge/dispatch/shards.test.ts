import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { runs } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { customWebhookAdapter } from '../channels/custom-webhook/adapter';
import { dispatchBatch } from './consumer';
import { type DispatchQueue, EnqueueError, enqueueRuns, queueSender } from './enqueue';
import { ENQUEUE_CHUNK_SIZE } from './limits';
import type { DispatchQueueBody, DispatchRequest } from './message';
import {
  DEAD_LETTER_QUEUE_NAME,
  dispatchShardBinding,
  dispatchShardQueueName,
  isDispatchQueueName,
  readDispatchShards,
} from './queues';
import { shardOf } from './shards';
import { queueMessage, seedRunsAtCustomSend, WEBHOOK_SECRET } from './test-seed';

/**
 * Dispatch shards: names, the run → shard hash, and the sender over several queue bindings
 * (Cloudflare's, so they are stand-ins here that record or refuse `sendBatch`). What a refused
 * shard leaves behind is checked on the real tables; edge/dispatch/sharding.test.ts runs the
 * same in workerd over Miniflare's queues.
 */

/** A queue binding that keeps what it was sent, and refuses while `refusing` is set. */
function recordingQueue() {
  const batches: { body: DispatchQueueBody; delaySeconds?: number }[][] = [];
  const queue = {
    batches,
    refusing: false,
    get bodies() {
      return batches.flat().map((message) => message.body);
    },
    async sendBatch(messages: Iterable<{ body: DispatchQueueBody; delaySeconds?: number }>) {
      if (queue.refusing) throw new Error('queue unavailable');
      batches.push([...messages]);
    },
  } satisfies DispatchQueue & Record<string, unknown>;
  return queue;
}

/** Ids as Postgres' `uuidv7()`-like time-ordered ids: the same leading characters for a while. */
function timeOrderedIds(count: number): string[] {
  const prefix = Date.now().toString(16).padStart(12, '0');
  return Array.from({ length: count }, () => {
    const tail = randomUUID().replace(/-/g, '').slice(12);
    const hex = `${prefix}7${tail.slice(1)}`;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  });
}

describe('dispatch shard names', () => {
  it('are sendflow-dispatch for shard 0 and sendflow-dispatch-<n> after it, bound as DISPATCH_QUEUE(_<n>)', () => {
    expect([0, 1, 12].map(dispatchShardQueueName)).toEqual([
      'sendflow-dispatch',
      'sendflow-dispatch-1',
      'sendflow-dispatch-12',
    ]);
    expect([0, 1, 12].map(dispatchShardBinding)).toEqual([
      'DISPATCH_QUEUE',
      'DISPATCH_QUEUE_1',
      'DISPATCH_QUEUE_12',
    ]);
  });

  it('tell dispatch shards from the dead letter queue and every other queue', () => {
    for (const name of ['sendflow-dispatch', 'sendflow-dispatch-1', 'sendflow-dispatch-17']) {
      expect(isDispatchQueueName(name)).toBe(true);
    }
    for (const name of [
      DEAD_LETTER_QUEUE_NAME,
      'sendflow-dispatch-0',
      'sendflow-dispatch-01',
      'sendflow-dispatch-',
      'sendflow-dispatch-1-dlq',
      'sendflow-callbacks',
      'sendflow-segments',
    ]) {
      expect(isDispatchQueueName(name)).toBe(false);
    }
  });

  it('are read from the bindings in shard order, with gaps reported', () => {
    const [a, b, c] = ['a', 'b', 'c'];
    expect(
      readDispatchShards({ DISPATCH_QUEUE_2: c, DISPATCH_QUEUE: a, DISPATCH_QUEUE_1: b }),
    ).toEqual({ queues: [a, b, c], problems: [] });
    expect(readDispatchShards({ OTHER_QUEUE: a })).toEqual({ queues: [], problems: [] });
    const gap = readDispatchShards({ DISPATCH_QUEUE: a, DISPATCH_QUEUE_2: c });
    expect(gap.queues).toEqual([a]);
    expect(gap.problems).toHaveLength(1);
  });
});

describe('the shard of a run', () => {
  it('is the same every time, and 0 with one shard', () => {
    const id = randomUUID();
    expect(shardOf(id, 4)).toBe(shardOf(id, 4));
    expect(shardOf(id, 1)).toBe(0);
  });

  it('spreads random and time-ordered ids evenly', () => {
    for (const ids of [Array.from({ length: 8_000 }, () => randomUUID()), timeOrderedIds(8_000)]) {
      for (const shards of [2, 3, 4, 6]) {
        const counts = new Array<number>(shards).fill(0);
        for (const id of ids) counts[shardOf(id, shards)]!++;
        const even = ids.length / shards;
        // Within 6 standard deviations of an even share (a binomial count: √(n·p·(1−p))), so
        // that random ids never fail it by chance while a skewed hash (a shard off by a tenth
        // or more at 2 shards, by a sixth at 6) still does. A fixed ±8 % was ~3 deviations at 6
        // shards and failed now and then.
        const deviation = Math.sqrt(ids.length * (1 / shards) * (1 - 1 / shards));
        for (const count of counts) expect(Math.abs(count - even)).toBeLessThan(6 * deviation);
      }
    }
  });
});

describe('the sender over several shards', () => {
  const requests = (count: number): DispatchRequest[] =>
    Array.from({ length: count }, (_, i) => ({
      runId: randomUUID(),
      visit: 1 + (i % 3),
      ...(i % 5 === 0 ? { delaySeconds: 30 } : {}),
    }));

  it("puts every message on its run's shard, at most a queue batch per sendBatch", async () => {
    const queues = [recordingQueue(), recordingQueue(), recordingQueue()];
    const sent = requests(700);
    await queueSender(queues).send(sent);
    for (const [shard, queue] of queues.entries()) {
      const expected = sent.filter((request) => shardOf(request.runId, 3) === shard);
      expect(queue.bodies).toEqual(expected.map(({ runId, visit }) => ({ v: 1, runId, visit })));
      expect(queue.batches.every((batch) => batch.length <= ENQUEUE_CHUNK_SIZE)).toBe(true);
      expect(queue.batches.flat().filter((m) => m.delaySeconds === 30)).toHaveLength(
        expected.filter((request) => request.delaySeconds === 30).length,
      );
    }
  });

  it('sends the other shards when one refuses, and names what it did not send', async () => {
    const queues = [recordingQueue(), recordingQueue(), recordingQueue()];
    queues[1]!.refusing = true;
    const sent = requests(300);
    const error = await queueSender(queues)
      .send(sent)
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(EnqueueError);
    const onShard = (shard: number) => sent.filter((r) => shardOf(r.runId, 3) === shard);
    expect(new Set((error as EnqueueError).unsent)).toEqual(new Set(onShard(1)));
    expect((error as EnqueueError).message).toContain('shard 1 (queue unavailable)');
    expect(queues[0]!.bodies).toHaveLength(onShard(0).length);
    expect(queues[2]!.bodies).toHaveLength(onShard(2).length);
  });

  it('refuses to send with no queue bound', async () => {
    await expect(queueSender([]).send(requests(1))).rejects.toThrow('DISPATCH_QUEUE');
  });
});

describe('a refused shard on the real tables', () => {
  let db: Database;
  let close: () => Promise<void>;
  let endpoint: WebhookReceiver;
  const cipher = new CredentialCipher(generateCredentialsKey());

  beforeAll(async () => {
    const postgres = createNodePostgres(inject('databaseUrl'), { max: 4 });
    db = postgres.db;
    close = postgres.close;
    endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  });

  afterAll(async () => {
    await endpoint?.close();
    await close?.();
  });

  async function enqueuedAt(runIds: readonly string[]) {
    const rows = await db
      .select({ id: runs.id, enqueuedAt: runs.enqueuedAt })
      .from(runs)
      .where(inArray(runs.id, [...runIds]));
    return new Map(rows.map((row) => [row.id, row.enqueuedAt]));
  }

  it("leaves only that shard's runs unstamped, for the sweep, when runs are first enqueued", async () => {
    const { runIds } = await seedRunsAtCustomSend({ db, cipher }, endpoint.url, 24);
    const queues = [recordingQueue(), recordingQueue(), recordingQueue()];
    queues[2]!.refusing = true;
    const result = await enqueueRuns(
      db,
      queueSender(queues),
      runIds.map((runId) => ({ runId, visit: 1 })),
    );
    const refused = runIds.filter((id) => shardOf(id, 3) === 2);
    expect(refused.length).toBeGreaterThan(0);
    expect(result.error).toBeInstanceOf(EnqueueError);
    expect(result.enqueued).toBe(runIds.length - refused.length);
    const stamps = await enqueuedAt(runIds);
    for (const id of runIds) {
      // An unstamped active run that is due is what the sweep re-enqueues (edge/dispatch/sweep.ts).
      if (refused.includes(id)) expect(stamps.get(id)).toBeNull();
      else expect(stamps.get(id)).toBeInstanceOf(Date);
    }
  });

  it("clears only that shard's stamps when a batch's next steps are enqueued", async () => {
    const { runIds } = await seedRunsAtCustomSend({ db, cipher }, endpoint.url, 24, {
      waitAfterSeconds: 60,
    });
    const queues = [recordingQueue(), recordingQueue(), recordingQueue()];
    queues[1]!.refusing = true;
    await dispatchBatch(
      runIds.map((runId, i) => queueMessage({ v: 1, runId, visit: 1 }, i)),
      {
        db,
        sender: queueSender(queues),
        cipher,
        adapterFor: ({ type }) => (type === 'custom' ? customWebhookAdapter : undefined),
        allowPrivateUrls: true,
      },
    );
    const refused = runIds.filter((id) => shardOf(id, 3) === 1);
    expect(refused.length).toBeGreaterThan(0);
    const stamps = await enqueuedAt(runIds);
    for (const id of runIds) {
      if (refused.includes(id)) expect(stamps.get(id)).toBeNull();
      else expect(stamps.get(id)).toBeInstanceOf(Date);
    }
    // The shards that took their messages hold exactly their runs' next visit.
    const delivered = [...queues[0]!.bodies, ...queues[2]!.bodies];
    expect(delivered.map((body) => body.runId).sort()).toEqual(
      runIds.filter((id) => !refused.includes(id)).sort(),
    );
    expect(delivered.every((body) => body.visit === 2)).toBe(true);
  });
});
