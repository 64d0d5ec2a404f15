import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { relations } from '../../db/relations';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { consumeRuns, readRun, seedRunsAtCustomSend, WEBHOOK_SECRET } from './test-seed';

/**
 * A batch that fails after claiming its sends and before making any (here: the library
 * statement cannot get its lock) gives its claims back: the queue's retry of its messages
 * claims the runs at once, not after the lease, and the failure uses up none of the sends'
 * attempts. The failure is a real one: another session holds `snippets` locked and this
 * consumer's connections wait at most 200 ms for a lock.
 */

let pool: pg.Pool;
let db: Database;
let locker: pg.Client;
let endpoint: WebhookReceiver;
const cipher = new CredentialCipher(generateCredentialsKey());

beforeAll(async () => {
  pool = new pg.Pool({
    connectionString: inject('databaseUrl'),
    max: 2,
    options: '-c lock_timeout=200',
  });
  db = drizzle({ client: pool, relations }) as unknown as Database;
  locker = new pg.Client({ connectionString: inject('databaseUrl') });
  await locker.connect();
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
});

afterAll(async () => {
  await endpoint?.close();
  await locker?.end();
  await pool?.end();
});

/** Consumes `runIds` while another session holds the library's `snippets` table locked. */
async function consumeWhileLocked(runIds: readonly string[]) {
  await locker.query('begin');
  await locker.query('lock table snippets in access exclusive mode');
  try {
    return await consumeRuns({ db, cipher }, runIds).then(
      () => null,
      (error: unknown) => error,
    );
  } finally {
    await locker.query('rollback');
  }
}

/** An error's message and its causes'. */
function messages(error: unknown): string {
  const parts: string[] = [];
  for (let cause = error; cause instanceof Error; cause = cause.cause) parts.push(cause.message);
  return parts.join(' <- ');
}

async function claimState(runId: string) {
  const run = await readRun(db, runId);
  return { leaseUntil: run.leaseUntil, attempts: run.deliveryAttempts };
}

describe('a batch that fails before sending', () => {
  it('gives its claims back, whichever statement claimed them, and the retry sends at once with the attempt unspent', async () => {
    const { runIds } = await seedRunsAtCustomSend({ db, cipher }, endpoint.url, 3, {
      waitAfterSeconds: 60,
    });
    const [first, second, third] = runIds as [string, string, string];

    // The version is new to the isolate: the claim statement claims, then the library fails.
    const cold = await consumeWhileLocked([first, second]);
    expect(messages(cold)).toMatch(/lock timeout/);
    for (const runId of [first, second]) {
      expect(await claimState(runId)).toEqual({ leaseUntil: null, attempts: 0 });
    }
    expect(endpoint.requests).toHaveLength(0);

    // Sent at once on the retry, as a first attempt.
    await consumeRuns({ db, cipher }, [first]);
    expect(endpoint.requests).toHaveLength(1);
    expect(await claimState(first)).toEqual({ leaseUntil: null, attempts: 0 });
    expect((await readRun(db, first)).stepVisit).toBe(2);

    // The isolate now has the graph: the load claims, then the library fails.
    const warm = await consumeWhileLocked([second, third]);
    expect(messages(warm)).toMatch(/lock timeout/);
    for (const runId of [second, third]) {
      expect(await claimState(runId)).toEqual({ leaseUntil: null, attempts: 0 });
    }
    expect(endpoint.requests).toHaveLength(1);

    await consumeRuns({ db, cipher }, [second, third]);
    expect(endpoint.requests).toHaveLength(3);
    for (const runId of [second, third]) {
      expect((await readRun(db, runId)).stepVisit).toBe(2);
    }
  });
});
