import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { relations } from '../../db/relations';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { customWebhookAdapter } from '../channels/custom-webhook/adapter';
import type { Settlement } from './attempt';
import { dispatchBatch } from './consumer';
import type { DispatchSender } from './enqueue';
import type { DispatchRequest } from './message';
import { queueMessage, readRun, seedRunsAtCustomSend, WEBHOOK_SECRET } from './test-seed';

/**
 * How many statements one batch costs. The consumer runs in Node here (the custom channel's
 * adapter is plain fetch) so that a Drizzle logger can count every statement it sends; the
 * workerd tests prove the same code against the real queue.
 */

let pool: pg.Pool;
let db: Database;
let statements = 0;
let endpoint: WebhookReceiver;
const enqueued: DispatchRequest[] = [];
const cipher = new CredentialCipher(generateCredentialsKey());

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 });
  db = drizzle({
    client: pool,
    relations,
    logger: { logQuery: () => void statements++ },
  }) as unknown as Database;
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
});

afterAll(async () => {
  await endpoint?.close();
  await pool?.end();
});

/** `count` contacts started on send → wait(60 s), as startWorkflow leaves them. */
async function startedRuns(count: number): Promise<string[]> {
  const seeded = await seedRunsAtCustomSend({ db, cipher }, endpoint.url, count, {
    waitAfterSeconds: 60,
  });
  return seeded.runIds;
}

const recordingSender: DispatchSender = {
  send: async (requests) => void enqueued.push(...requests),
};

async function consume(bodies: unknown[], sender = recordingSender) {
  const messages = bodies.map(queueMessage);
  statements = 0;
  const settlements = await dispatchBatch(messages, {
    db,
    sender,
    cipher,
    adapterFor: ({ type }) => (type === 'custom' ? customWebhookAdapter : undefined),
    allowPrivateUrls: true,
  });
  return { statements, settlements: [...settlements.values()] as Settlement[] };
}

describe('statements per batch', () => {
  it("is four for a batch of sends of a version new to the isolate, three once it has the version's graph, whatever the size", async () => {
    const seeded = await startedRuns(55);
    // The first batch of a version claims in a statement of its own (the load cannot tell
    // which steps send before it has the graph); later ones claim as they load.
    for (const [runIds, expected] of [
      [seeded.slice(0, 5), 4],
      [seeded.slice(5), 3],
    ] as const) {
      const before = endpoint.requests.length;
      const sent = Date.now();
      const { statements: count, settlements } = await consume(
        runIds.map((runId) => ({ runId, visit: 1 })),
      );
      // load runs (and claim), [claim deliveries], load library, record + move + stamp enqueued
      expect(count).toBe(expected);
      for (const runId of runIds) {
        // Stamped by the record statement: when the 60 s wait's message becomes visible.
        const run = await readRun(db, runId);
        expect(run.stepVisit).toBe(2);
        expect(run.enqueuedAt!.getTime()).toBeGreaterThanOrEqual(sent + 59_000);
        expect(run.enqueuedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
      }
      expect(endpoint.requests.length - before).toBe(runIds.length);
      expect(settlements.every((s) => s.kind === 'ack')).toBe(true);
      const next = enqueued.filter((request) => runIds.includes(request.runId));
      expect(next).toHaveLength(runIds.length);
      expect(next.every((r) => r.visit === 2 && r.delaySeconds === 60)).toBe(true);
    }
  });

  it('clears the stamps again when the next messages cannot be enqueued, so the sweep sends them', async () => {
    const runIds = await startedRuns(5);
    const refusing: DispatchSender = {
      send: async () => {
        throw new Error('queue unavailable');
      },
    };
    const { statements: count, settlements } = await consume(
      runIds.map((runId) => ({ runId, visit: 1 })),
      refusing,
    );
    // The four batch statements, then the one that clears the stamps.
    expect(count).toBe(5);
    expect(settlements.every((s) => s.kind === 'ack')).toBe(true);
    for (const runId of runIds) {
      expect(await readRun(db, runId)).toMatchObject({
        status: 'active',
        stepVisit: 2,
        enqueuedAt: null,
      });
    }
  });

  it('is one for a redelivered batch, which sends nothing', async () => {
    const runIds = await startedRuns(10);
    await consume(runIds.map((runId) => ({ runId, visit: 1 })));
    const before = endpoint.requests.length;
    const { statements: count } = await consume(runIds.map((runId) => ({ runId, visit: 1 })));
    expect(count).toBe(1);
    expect(endpoint.requests.length).toBe(before);
  });

  it('is two for a batch of waits that are not yet due (load, then stamp the chained messages)', async () => {
    const runIds = await startedRuns(10);
    await consume(runIds.map((runId) => ({ runId, visit: 1 })));
    enqueued.length = 0;
    const { statements: count } = await consume(runIds.map((runId) => ({ runId, visit: 2 })));
    expect(count).toBe(2);
    expect(enqueued).toHaveLength(10);
    expect(enqueued.every((r) => r.visit === 2 && r.delaySeconds! > 55)).toBe(true);
  });
});
