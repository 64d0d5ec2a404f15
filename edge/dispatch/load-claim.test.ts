import { eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { contacts, runs } from '../../db/schema';
import { claimDeliveries } from './claim';
import { GraphCache } from './graph-cache';
import { loadAndClaimRuns, type RunRequest } from './load';
import { twoConsumers } from './test-consumers';
import {
  publishWorkflow,
  readRun,
  seedContact,
  seedCustomChannel,
  seedRunAt,
  seedWorkflowAndContact,
  seedWorkspace,
  sendConfig,
} from './test-seed';

/**
 * The load of a batch claims, in the same statement, the deliveries of the runs due at a send
 * step of a version the isolate has the graph of (edge/dispatch/load.ts, loadAndClaimRuns): on
 * claimDeliveries's conditions, so that the two never both hold one delivery. Two pools, so
 * that two "consumers" really run at once.
 */

const { one, two } = twoConsumers();
let seed: {
  workspaceId: string;
  workflowId: string;
  versionId: string;
  sendStepId: string;
  waitStepId: string;
  contactId: string;
};

beforeAll(async () => {
  const { stepIds, ...ids } = await seedWorkflowAndContact(
    one.db,
    [
      { key: 'send', type: 'send_message', config: sendConfig(), next: 'pause' },
      { key: 'pause', type: 'wait', config: { seconds: 60 } },
    ],
    'Loaded',
  );
  seed = { ...ids, sendStepId: stepIds.send!, waitStepId: stepIds.pause! };
});

/** `count` new runs at `stepId` (the send by default), first visit, due now. */
async function runsAt(count: number, stepId = seed.sendStepId): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await seedRunAt(one.db, { ...seed, stepId }));
  return ids;
}

const firstVisits = (runIds: readonly string[]): RunRequest[] =>
  runIds.map((runId) => ({ runId, visit: 1 }));

/** A cache that already holds the seeded version's graph, as after an isolate's first batch. */
async function warmCache(): Promise<GraphCache> {
  const cache = new GraphCache();
  const [runId] = await runsAt(1, seed.waitStepId);
  const { runs: loaded } = await loadAndClaimRuns(one.db, firstVisits([runId!]), cache);
  expect(loaded.get(runId!)?.graph.steps).toHaveLength(2);
  return cache;
}

describe('claiming deliveries as a batch loads its runs', () => {
  it('claims the due runs at a send step once the isolate has their version, in the statement that loads them', async () => {
    const cache = new GraphCache();
    const ids = await runsAt(3);
    const before = Date.now();

    // A version the isolate has not seen: the load cannot tell which steps send, and claims
    // nothing (claimDeliveries does, next).
    const cold = await loadAndClaimRuns(one.db, firstVisits(ids), cache);
    expect([...cold.runs.keys()].sort()).toEqual([...ids].sort());
    expect(cold.claims.size).toBe(0);
    for (const id of ids) expect((await readRun(one.db, id)).leaseUntil).toBeNull();

    const warm = await loadAndClaimRuns(one.db, firstVisits(ids), cache);
    expect(warm.runs.size).toBe(3);
    expect([...warm.claims.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const claim = warm.claims.get(id)!;
      expect(claim).toMatchObject({ runId: id, status: 'sending', attempts: 1, claimed: true });
      expect(claim.leaseUntilMs!).toBeGreaterThan(before + 50_000);
      expect(claim.claimedAtMs!).toBeGreaterThanOrEqual(before - 1_000);
      const run = await readRun(one.db, id);
      expect(run).toMatchObject({ deliveryId: claim.id, deliveryAttempts: 1 });
      expect(run.leaseUntil!.getTime()).toBe(Math.floor(claim.leaseUntilMs!));
      // The load's state of the run is as it was claimed: at the send, first visit.
      expect(warm.runs.get(id)).toMatchObject({ currentStepId: seed.sendStepId, stepVisit: 1 });
    }
  });

  it('claims nothing it must not: another visit, a wait, not yet due, held, finished or ended', async () => {
    const cache = await warmCache();
    const [otherVisit, atWait, notDue, held, finished, ended] = await runsAt(6);
    await one.db.update(runs).set({ currentStepId: seed.waitStepId }).where(eq(runs.id, atWait!));
    await one.db
      .update(runs)
      .set({ dueAt: new Date(Date.now() + 30_000) })
      .where(eq(runs.id, notDue!));
    const [live] = await claimDeliveries(two.db, [
      { workspaceId: seed.workspaceId, runId: held!, stepId: seed.sendStepId, visit: 1 },
    ]);
    expect(live?.claimed).toBe(true);
    await one.db.update(runs).set({ deliveryFinished: true }).where(eq(runs.id, finished!));
    await one.db
      .update(runs)
      .set({ status: 'exited', currentStepId: null, endedAt: new Date() })
      .where(eq(runs.id, ended!));

    const requests = [
      { runId: otherVisit!, visit: 2 },
      ...firstVisits([atWait!, notDue!, held!, finished!, ended!]),
    ];
    const { runs: loaded, claims } = await loadAndClaimRuns(one.db, requests, cache);
    expect(loaded.size).toBe(6);
    expect(claims.size).toBe(0);
    const after = await one.db
      .select({ id: runs.id, attempts: runs.deliveryAttempts })
      .from(runs)
      .where(inArray(runs.id, [otherVisit!, atWait!, notDue!, held!, finished!, ended!]));
    // Only the claim taken before holds an attempt.
    expect(after.filter((run) => run.attempts > 0).map((run) => run.id)).toEqual([held]);
  });

  it('claims a run two messages name, at the visit it is at, whichever message comes first', async () => {
    const cache = await warmCache();
    const [id] = await runsAt(1);
    const { claims } = await loadAndClaimRuns(
      one.db,
      [
        { runId: id!, visit: 0 },
        { runId: id!, visit: 1 },
      ],
      cache,
    );
    expect(claims.get(id!)).toMatchObject({ attempts: 1, claimed: true });
  });

  it('gives each run to one of two consumers loading the same batch at once', async () => {
    const [first, second] = [await warmCache(), await warmCache()];
    const ids = await runsAt(20);
    const [a, b] = await Promise.all([
      loadAndClaimRuns(one.db, firstVisits(ids), first),
      loadAndClaimRuns(two.db, firstVisits(ids), second),
    ]);
    const claimedBy = [...a.claims.keys(), ...b.claims.keys()];
    expect(claimedBy.sort()).toEqual([...ids].sort());
    // Each run was claimed once, whichever consumer got it.
    for (const id of ids) expect((await readRun(one.db, id)).deliveryAttempts).toBe(1);
  });

  it('leaves a claim it made to the takeover when its holder dies: the same delivery, the next attempt', async () => {
    const cache = await warmCache();
    const [id] = await runsAt(1);
    const { claims } = await loadAndClaimRuns(one.db, firstVisits([id!]), cache, 1);
    const dead = claims.get(id!)!;
    // Live: neither the load nor claimDeliveries takes it.
    expect((await loadAndClaimRuns(two.db, firstVisits([id!]), cache)).claims.size).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const [taken] = await claimDeliveries(two.db, [
      { workspaceId: seed.workspaceId, runId: id!, stepId: seed.sendStepId, visit: 1 },
    ]);
    expect(taken).toMatchObject({ id: dead.id, attempts: 2, claimed: true });
  });
});

describe('a Last Interacted send whose consumer died after calling the provider', () => {
  /**
   * A run at a Last Interacted send (and one at a send to a specific channel) for a contact
   * last seen on channel A, the version's graph in `cache`.
   */
  async function lastSeenOnA() {
    const target = { db: one.db, cipher: new CredentialCipher(generateCredentialsKey()) };
    const { workspaceId } = await seedWorkspace(one.db);
    const channelA = await seedCustomChannel(target, workspaceId, 'https://a.example/hook');
    const channelB = await seedCustomChannel(target, workspaceId, 'https://b.example/hook');
    const { workflowId, versionId, stepIds } = await publishWorkflow(one.db, workspaceId, [
      { key: 'last', type: 'send_message', config: sendConfig(), next: 'fixed' },
      {
        key: 'fixed',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId: channelB } }),
      },
    ]);
    const contactId = await seedContact(
      one.db,
      workspaceId,
      { lastInteractedChannelId: channelA },
      [
        { channelId: channelA, address: 'a' },
        { channelId: channelB, address: 'b' },
      ],
    );
    const ids = { workspaceId, workflowId, versionId, contactId };
    const last = await seedRunAt(one.db, { ...ids, stepId: stepIds.last! });
    const fixed = await seedRunAt(one.db, { ...ids, stepId: stepIds.fixed! });
    return { ...ids, channelA, channelB, last, fixed, stepIds };
  }

  /** The contact writes in on B (its last interacted channel) while the claim is dead. */
  async function writesInOnB(contactId: string, channelB: string) {
    await one.db
      .update(contacts)
      .set({ lastInteractedChannelId: channelB })
      .where(eq(contacts.id, contactId));
  }

  it('is pinned to its channel by the claim in the load, so the takeover sends there again', async () => {
    const seeded = await lastSeenOnA();
    const cache = new GraphCache();
    const batch = firstVisits([seeded.last, seeded.fixed]);
    // The version's first batch in the isolate loads its graph (claimDeliveries claims it).
    expect((await loadAndClaimRuns(one.db, batch, cache)).claims.size).toBe(0);
    const first = await loadAndClaimRuns(one.db, batch, cache, 1);
    expect([...first.claims.keys()].sort()).toEqual([seeded.last, seeded.fixed].sort());
    expect(first.runs.get(seeded.last)!.contact.lastInteractedChannelId).toBe(seeded.channelA);
    // Pinned at once, before any provider call; a send to a specific channel is not.
    expect(await readRun(one.db, seeded.last)).toMatchObject({
      deliveryChannelId: seeded.channelA,
    });
    expect(await readRun(one.db, seeded.fixed)).toMatchObject({ deliveryChannelId: null });
    // The consumer dies after calling the provider on A: no record. The contact writes in on B.
    await writesInOnB(seeded.contactId, seeded.channelB);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const taken = await loadAndClaimRuns(two.db, firstVisits([seeded.last]), cache);
    expect(taken.claims.get(seeded.last)).toMatchObject({ attempts: 2, claimed: true });
    expect(taken.runs.get(seeded.last)!.contact.lastInteractedChannelId).toBe(seeded.channelA);
  });

  it('is pinned by claimDeliveries too, with the channel the consumer loaded', async () => {
    const seeded = await lastSeenOnA();
    const key = {
      workspaceId: seeded.workspaceId,
      runId: seeded.last,
      stepId: seeded.stepIds.last!,
      visit: 1,
    };
    const [claim] = await claimDeliveries(one.db, [{ ...key, pinChannelId: seeded.channelA }], 1);
    expect(claim).toMatchObject({ claimed: true, deliveryChannelId: seeded.channelA });
    const [fixedClaim] = await claimDeliveries(one.db, [
      { ...key, runId: seeded.fixed, stepId: seeded.stepIds.fixed!, pinChannelId: null },
    ]);
    expect(fixedClaim).toMatchObject({ claimed: true, deliveryChannelId: null });
    await writesInOnB(seeded.contactId, seeded.channelB);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // The takeover loads the pinned channel, and a claim naming another keeps the pinned one.
    const loaded = await loadAndClaimRuns(two.db, firstVisits([seeded.last]), new GraphCache());
    expect(loaded.runs.get(seeded.last)!.contact.lastInteractedChannelId).toBe(seeded.channelA);
    const [taken] = await claimDeliveries(two.db, [{ ...key, pinChannelId: seeded.channelB }]);
    expect(taken).toMatchObject({ claimed: true, attempts: 2, deliveryChannelId: seeded.channelA });
  });
});
