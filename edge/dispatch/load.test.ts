import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { relations } from '../../db/relations';
import { GraphCache } from './graph-cache';
import { loadRuns } from './load';
import { publishWorkflow, seedContact, seedRunAt, seedWorkspace, sendConfig } from './test-seed';

/**
 * Loading a batch's runs reads each published version's graph once per batch, and not at all
 * while the isolate keeps it. Against the test Postgres; every query's result rows are counted
 * where the graphs would travel.
 */

let pool: pg.Pool;
let db: Database;
/** Graphs (objects with `entryStepId` and `steps`) found in the result rows since the reset. */
let graphsReceived = 0;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
  const counting = async (...args: unknown[]) => {
    const result = await query(...args);
    for (const row of result.rows ?? []) {
      for (const cell of Object.values(row as object)) {
        if (cell && typeof cell === 'object' && 'entryStepId' in cell && 'steps' in cell) {
          graphsReceived++;
        }
      }
    }
    return result;
  };
  db = drizzle({
    client: Object.assign(Object.create(pool), { query: counting }) as pg.Pool,
    relations,
  }) as unknown as Database;
});

afterAll(async () => {
  await pool?.end();
});

/** A workspace with `runsPerVersion` runs of each of `versions` published one-step workflows. */
async function runsOfVersions(versions: number, runsPerVersion: number) {
  const { workspaceId } = await seedWorkspace(db);
  const contactId = await seedContact(db, workspaceId);
  const seeded: { versionId: string; stepId: string; runIds: string[] }[] = [];
  for (let v = 0; v < versions; v++) {
    const { workflowId, versionId, stepIds } = await publishWorkflow(db, workspaceId, [
      { key: `send${v}`, type: 'send_message', config: sendConfig() },
    ]);
    const stepId = stepIds[`send${v}`]!;
    const runIds: string[] = [];
    for (let r = 0; r < runsPerVersion; r++) {
      runIds.push(await seedRunAt(db, { workspaceId, workflowId, versionId, contactId, stepId }));
    }
    seeded.push({ versionId, stepId, runIds });
  }
  return seeded;
}

describe('loading a batch of runs', () => {
  it("gives every run its version's graph, reading each version's graph once per batch", async () => {
    const [a, b] = await runsOfVersions(2, 3);
    graphsReceived = 0;
    const loaded = await loadRuns(db, [...a!.runIds, ...b!.runIds], new GraphCache());
    expect(graphsReceived).toBe(2);
    for (const { runIds, stepId } of [a!, b!]) {
      const graphs = runIds.map((id) => loaded.get(id)!.graph);
      expect(graphs[0]).toMatchObject({ entryStepId: stepId, steps: [{ id: stepId }] });
      // One object per version, shared by its runs, and frozen so none can change it.
      for (const graph of graphs) expect(graph).toBe(graphs[0]);
      expect(Object.isFrozen(graphs[0]!.steps[0])).toBe(true);
    }
  });

  it('does not read a graph the isolate keeps again (published versions never change)', async () => {
    const [a] = await runsOfVersions(1, 2);
    const cache = new GraphCache();
    const first = await loadRuns(db, a!.runIds.slice(0, 1), cache);
    graphsReceived = 0;
    const again = await loadRuns(db, a!.runIds, cache);
    expect(graphsReceived).toBe(0);
    expect(again.get(a!.runIds[1]!)!.graph).toBe(first.get(a!.runIds[0]!)!.graph);
    // A cache that does not hold it reads it.
    await loadRuns(db, a!.runIds, new GraphCache());
    expect(graphsReceived).toBe(1);
  });

  it('keeps the graphs a batch needs when the cache holds fewer versions than the batch has', async () => {
    const [a, b, c] = await runsOfVersions(3, 1);
    const cache = new GraphCache(1);
    const ids = [a!, b!, c!].map((version) => version.runIds[0]!);
    const loaded = await loadRuns(db, ids, cache);
    const again = await loadRuns(db, ids, cache);
    for (const [index, version] of [a!, b!, c!].entries()) {
      expect(loaded.get(ids[index]!)!.graph.entryStepId).toBe(version.stepId);
      expect(again.get(ids[index]!)!.graph.entryStepId).toBe(version.stepId);
    }
    expect(cache.snapshot().size).toBe(1);
  });

  it('leaves out runs that do not exist', async () => {
    const [a] = await runsOfVersions(1, 1);
    const missing = (await db.execute(sql`select gen_random_uuid() as id`)) as unknown as {
      rows: { id: string }[];
    };
    const loaded = await loadRuns(db, [a!.runIds[0]!, missing.rows[0]!.id], new GraphCache());
    expect([...loaded.keys()]).toEqual([a!.runIds[0]]);
  });
});
