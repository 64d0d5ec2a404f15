import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { relations } from '../../db/relations';
import { queryRows } from '../../db/rows';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  consumeRuns,
  readRun,
  recordingPublisher,
  seedRunsAtCustomSend,
  WEBHOOK_SECRET,
} from './test-seed';

/**
 * A batch's statements are prepared once per connection (db/rows.ts, queryPreparedRows): on
 * one connection, batches of any size reuse the same few prepared statements, and none is
 * prepared per batch. One connection, so that `pg_prepared_statements` (per session) sees them.
 */

let pool: pg.Pool;
let db: Database;
let endpoint: WebhookReceiver;
const cipher = new CredentialCipher(generateCredentialsKey());

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
  db = drizzle({ client: pool, relations }) as unknown as Database;
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
});

afterAll(async () => {
  await endpoint?.close();
  await pool?.end();
});

interface Prepared {
  name: string;
  statement: string;
  runs: number;
}

async function preparedStatements(): Promise<Map<string, Prepared>> {
  const rows = await queryRows<Prepared>(
    db,
    sql`select name, statement, (generic_plans + custom_plans)::int as runs
        from pg_prepared_statements`,
  );
  return new Map(rows.map((row) => [row.name, row]));
}

let recorder: ReturnType<typeof recordingPublisher>;

const consume = (runIds: readonly string[]) => consumeRuns({ db, cipher }, runIds, recorder.events);

describe('a dispatch batch on one connection', () => {
  it('runs its load, library and record as prepared statements whose text does not grow with the batch', async () => {
    recorder = recordingPublisher(db);
    const { runIds } = await seedRunsAtCustomSend({ db, cipher }, endpoint.url, 80, {
      waitAfterSeconds: 60,
    });
    // The first batch of a version loads without claiming (a statement of its own).
    await consume(runIds.slice(0, 5));
    await consume(runIds.slice(5, 10));
    const settled = await preparedStatements();
    const record = [...settled.values()].find((p) =>
      /insert into deliveries as d/.test(p.statement),
    );
    // The load's claim, not claimDeliveries's (both update runs as `claimed`; their order in
    // the map follows their names, hashes of their text).
    const loadAndClaim = [...settled.values()].find((p) =>
      /claimed as \(\s*update runs r[\s\S]*k\.keys ->/.test(p.statement),
    );
    const library = [...settled.values()].find((p) => /from channels c/.test(p.statement));
    expect(record?.runs).toBe(2);
    expect(loadAndClaim?.runs).toBe(1);
    expect(library?.runs).toBe(2);

    // Batches of 20 and 50: the same statements run again, and no other is prepared.
    await consume(runIds.slice(10, 30));
    await consume(runIds.slice(30, 80));
    const later = await preparedStatements();
    expect([...later.keys()].sort()).toEqual([...settled.keys()].sort());
    expect(later.get(record!.name)?.runs).toBe(4);
    expect(later.get(loadAndClaim!.name)?.runs).toBe(3);
    expect(later.get(library!.name)?.runs).toBe(4);
    // And they did their work: every run was sent and moved on.
    expect(endpoint.requests.length).toBe(80);
    for (const runId of [runIds[0]!, runIds[79]!]) {
      expect((await readRun(db, runId)).stepVisit).toBe(2);
    }
    // Routed on to the wait: each run's three events, published as the log replays them.
    const { published, replayed } = await recorder.compared(
      (await readRun(db, runIds[0]!)).workspaceId,
    );
    expect(replayed).toHaveLength(240);
    expect(replayed.filter((e) => e.event.type === 'run.routed')).toHaveLength(80);
    expect(replayed.find((e) => e.event.type === 'run.routed')!.event.data).toMatchObject({
      run: { status: 'active', visit: 2 },
    });
    expect(published).toEqual(replayed);
  });
});
