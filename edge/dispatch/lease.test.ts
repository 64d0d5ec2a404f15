import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNodePostgres, type NodePostgres } from '../../db/drivers/node-postgres';
import { runs } from '../../db/schema';
import { type ClaimedDelivery, claimDeliveries } from './claim';
import { renewLeases, whileHoldingLeases } from './lease';
import { CLAIM_LEASE_SECONDS, LEASE_RENEW_SECONDS } from './limits';
import { publishWorkflow, seedContact, seedRunAt, seedWorkspace, sendConfig } from './test-seed';

/** Claims of a batch, and how their leases are kept alive only while their holder lives. */

let postgres: NodePostgres;
let seed: { workspaceId: string; workflowId: string; versionId: string; stepId: string };

beforeAll(async () => {
  postgres = createNodePostgres(inject('databaseUrl'), { max: 2 });
  const { workspaceId } = await seedWorkspace(postgres.db);
  const { workflowId, versionId, stepIds } = await publishWorkflow(postgres.db, workspaceId, [
    { key: 'send', type: 'send_message', config: sendConfig() },
  ]);
  seed = { workspaceId, workflowId, versionId, stepId: stepIds.send! };
});

afterAll(() => postgres?.close());

/** Claims fresh deliveries for `count` new runs with a lease of `leaseSeconds`. */
async function claim(count: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
  const keys = [];
  for (let i = 0; i < count; i++) {
    const contactId = await seedContact(postgres.db, seed.workspaceId, { firstName: `L${i}` }, []);
    const runId = await seedRunAt(postgres.db, { ...seed, contactId });
    keys.push({ workspaceId: seed.workspaceId, runId, stepId: seed.stepId, visit: 1 });
  }
  return claimDeliveries(postgres.db, keys, leaseSeconds);
}

/** The leases the runs hold (claims are on the run), by run id; 0 when none. */
async function leases(ids: string[]): Promise<Map<string, number>> {
  const rows = await postgres.db
    .select({ id: runs.id, leaseUntil: runs.leaseUntil })
    .from(runs)
    .where(inArray(runs.id, ids));
  return new Map(rows.map((row) => [row.id, row.leaseUntil?.getTime() ?? 0]));
}

describe('claim leases', () => {
  it('last a minute, renewed three times within it', () => {
    expect(CLAIM_LEASE_SECONDS).toBe(60);
    expect(LEASE_RENEW_SECONDS * 3).toBe(CLAIM_LEASE_SECONDS);
  });

  it('are renewed only for rows still held at the attempt they were claimed at', async () => {
    const [mine, finished, taken] = await claim(3, 5);
    // Recorded: the record released the claim.
    await postgres.db.update(runs).set({ leaseUntil: null }).where(eq(runs.id, finished!.runId));
    // Another consumer claimed this one after our lease ran out: its attempt count moved on.
    await postgres.db
      .update(runs)
      .set({ deliveryAttempts: taken!.attempts + 1 })
      .where(eq(runs.id, taken!.runId));
    const before = await leases([taken!.runId]);

    expect(await renewLeases(postgres.db, [mine!, finished!, taken!], 120)).toBe(1);
    const after = await leases([mine!.runId, finished!.runId, taken!.runId]);
    expect(after.get(mine!.runId)).toBeGreaterThan(Date.now() + 100_000);
    expect(after.get(finished!.runId)).toBe(0);
    expect(after.get(taken!.runId)).toBe(before.get(taken!.runId));
  });

  it('are kept alive while the work runs, and left to expire once it stops', async () => {
    const claims = await claim(2, 1);
    const ids = claims.map((c) => c.runId);
    const leaseAtStart = await leases(ids);
    // Work that outlives the one-second lease; renewal every 200 ms keeps the claims held.
    await whileHoldingLeases(
      postgres.db,
      claims,
      () => new Promise((resolve) => setTimeout(resolve, 1_500)),
      0.2,
    );
    const renewed = await leases(ids);
    for (const id of ids) expect(renewed.get(id)).toBeGreaterThan(leaseAtStart.get(id)! + 1_000);
    // A crashed consumer stops renewing; nothing else does it for it.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await leases(ids)).toEqual(renewed);
  });

  it('stop being renewed when the work fails', async () => {
    const claims = await claim(1, 1);
    await expect(
      whileHoldingLeases(postgres.db, claims, () => Promise.reject(new Error('boom')), 0.1),
    ).rejects.toThrow('boom');
    const held = await leases([claims[0]!.runId]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await leases([claims[0]!.runId])).toEqual(held);
  });
});
