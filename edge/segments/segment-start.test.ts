import { and, count, eq, isNotNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { eventLogRows } from '../../db/event-log';
import { contacts, runs, segmentStarts } from '../../db/schema';
import { publishWorkflow, seedWorkspace, waitFor } from '../dispatch/test-seed';
import { type DispatchHarness, startDispatchHarness } from '../dispatch/test-support';
import { SEGMENT_CHUNK_SIZE } from './limits';

/**
 * Segment starts in workerd: the Worker bundle serves startWorkflowForSegment, consumes the
 * (Miniflare) segments queue chunk by chunk and enqueues the runs on the dispatch queue, against
 * this run's Postgres. Workflows start with a long wait, so dispatch only holds their messages.
 */

let harness: DispatchHarness;

beforeAll(async () => {
  harness = await startDispatchHarness();
});

afterAll(async () => {
  await harness?.close();
});

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowForSegmentInput!) {
    startWorkflowForSegment(input: $input) {
      __typename
      ... on MutationStartWorkflowForSegmentSuccess {
        data { id status total started filter workflowId }
      }
      ... on ValidationError { issues { code path message } }
      ... on NotFoundError { entity id }
    }
  }
`;

const PROGRESS = /* GraphQL */ `
  query ($id: ID!) { segmentStart(id: $id) { id status total started endedAt } }
`;

const LIST = /* GraphQL */ `
  query ($workflowId: ID!) { segmentStarts(workflowId: $workflowId) { id status } }
`;

const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) {
    cancelSegmentStart(id: $id) {
      __typename
      ... on MutationCancelSegmentStartSuccess { data { id status started total } }
      ... on NotFoundError { entity id }
    }
  }
`;

/** A workspace with a published workflow whose entry step waits an hour. */
async function setup() {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
    { key: 'wait', type: 'wait', config: { seconds: 3600 } },
  ]);
  return { workspaceId, apiKey, workflowId, entryStepId: stepIds.wait! };
}

/** `n` contacts in one statement, numbered in custom field `n`; returns their ids. */
async function seedContacts(
  db: Database,
  workspaceId: string,
  n: number,
  fields: Record<string, unknown> = {},
): Promise<string[]> {
  const rows = await db
    .insert(contacts)
    .values(
      Array.from({ length: n }, (_, index) => ({
        workspaceId,
        firstName: `Contact ${index}`,
        customFields: { n: String(index) },
        ...fields,
      })),
    )
    .returning({ id: contacts.id });
  return rows.map((row) => row.id);
}

async function start(apiKey: string, input: Record<string, unknown>) {
  const result = await harness.gql(apiKey, START, { input });
  return result.data?.startWorkflowForSegment;
}

async function startOk(apiKey: string, input: Record<string, unknown>) {
  const payload = await start(apiKey, input);
  if (payload?.__typename !== 'MutationStartWorkflowForSegmentSuccess') {
    throw new Error(`startWorkflowForSegment failed: ${JSON.stringify(payload)}`);
  }
  return payload.data as { id: string; status: string; total: number; started: number };
}

async function progress(apiKey: string, id: string) {
  return (await harness.gql(apiKey, PROGRESS, { id })).data?.segmentStart;
}

function waitUntilEnded(apiKey: string, id: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const now = await progress(apiKey, id);
      return now?.status !== 'RUNNING' && now;
    },
    { timeoutMs, what: `segment start ${id} to end` },
  );
}

/** The contact ids with a run of this segment start, sorted. */
async function startedContacts(segmentStartId: string): Promise<string[]> {
  const rows = await harness.db
    .select({ contactId: runs.contactId })
    .from(runs)
    .where(eq(runs.segmentStartId, segmentStartId));
  return rows.map((row) => row.contactId).sort();
}

describe('filters', () => {
  it('starts runs for exactly the contacts every condition matches, in the workspace only', async () => {
    const { workspaceId, apiKey, workflowId, entryStepId } = await setup();
    const seed = (fields: Partial<typeof contacts.$inferInsert>) =>
      harness.db
        .insert(contacts)
        .values({ workspaceId, firstName: 'X', ...fields })
        .returning({ id: contacts.id })
        .then(([row]) => row!.id);
    const old = new Date('2020-01-01T00:00:00Z');
    const match = await seed({
      country: 'FR',
      language: 'en-GB',
      email: 'a@example.com',
      customFields: { plan: 'Gold', city: 'Paris 11e' },
    });
    const alsoMatch = await seed({
      country: 'DE',
      language: 'en',
      email: 'b@example.com',
      customFields: { plan: 'Gold', city: 'PARIS' },
    });
    const misses = [
      await seed({
        country: 'US',
        language: 'en',
        email: 'c@x.com',
        customFields: { plan: 'Gold', city: 'Paris' },
      }),
      await seed({
        country: 'FR',
        language: 'fr',
        email: 'd@x.com',
        customFields: { plan: 'Gold', city: 'Paris' },
      }),
      await seed({ country: 'FR', language: 'en', customFields: { plan: 'Gold', city: 'Paris' } }),
      await seed({
        country: 'FR',
        language: 'en',
        email: 'e@x.com',
        customFields: { plan: 'gold', city: 'Paris' },
      }),
      await seed({
        country: 'FR',
        language: 'en',
        email: 'f@x.com',
        customFields: { plan: 'Gold', city: 'Lyon' },
      }),
      await seed({
        country: 'FR',
        language: 'eng',
        email: 'g@x.com',
        customFields: { plan: 'Gold', city: 'Paris' },
      }),
      await seed({
        country: 'FR',
        language: 'en',
        email: 'h@x.com',
        customFields: { plan: 'Gold', city: 'Paris' },
        createdAt: old,
      }),
    ];
    // Another workspace's perfect match is never reached.
    const other = await setup();
    await seedContacts(harness.db, other.workspaceId, 3, {
      country: 'FR',
      language: 'en',
      email: 'z@x.com',
      customFields: { plan: 'Gold', city: 'Paris' },
    });

    const started = await startOk(apiKey, {
      workflowId,
      variables: { coupon: 'SPRING' },
      filter: {
        countries: ['fr', 'DE'],
        languages: ['EN'],
        hasEmail: true,
        createdSince: '2025-01-01T00:00:00Z',
        customFields: [
          { key: 'plan', equals: 'Gold' },
          { key: 'city', contains: 'paris' },
        ],
      },
    });
    expect(started).toMatchObject({ status: 'RUNNING', total: 2, started: 0 });
    const ended = await waitUntilEnded(apiKey, started.id);
    expect(ended).toMatchObject({ status: 'COMPLETED', total: 2, started: 2 });
    expect(ended.endedAt).toBeTruthy();
    expect(await startedContacts(started.id)).toEqual([match, alsoMatch].sort());
    expect(misses).toHaveLength(7);

    // Runs are committed, then enqueued: the stamp follows the chunk's commit.
    const rows = await waitFor(
      async () => {
        const now = await harness.db.select().from(runs).where(eq(runs.segmentStartId, started.id));
        return now.every((run) => run.enqueuedAt) && now;
      },
      { what: 'the runs to be enqueued' },
    );
    for (const run of rows) {
      expect(run).toMatchObject({
        workspaceId,
        workflowId,
        status: 'active',
        currentStepId: entryStepId,
        stepVisit: 1,
        triggerVariables: { coupon: 'SPRING' },
      });
      // Enqueued as startWorkflow enqueues: the stamp says when the wait's message shows.
      expect(run.enqueuedAt!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    }
    // One run.started partner event per run, as startWorkflow logs them.
    const [events] = await harness.db
      .execute<{ n: number }>(
        sql`select count(*)::int as n from ${eventLogRows(sql`${workspaceId}::uuid`)} e
          where type = 'run.started'
          and run_id in (select id from runs where segment_start_id = ${started.id}::uuid)`,
      )
      .then((result) => (result as unknown as { rows: { n: number }[] }).rows);
    expect(events!.n).toBe(2);
  });

  it('matches every contact of the workspace with an empty filter, and completes at once when nobody matches', async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    const ids = await seedContacts(harness.db, workspaceId, 5);
    const all = await startOk(apiKey, { workflowId, filter: {} });
    expect(all.total).toBe(5);
    await waitUntilEnded(apiKey, all.id);
    expect(await startedContacts(all.id)).toEqual(ids.sort());

    const none = await startOk(apiKey, { workflowId, filter: { countries: ['JP'] } });
    expect(none).toMatchObject({ status: 'COMPLETED', total: 0, started: 0 });
  });

  it('refuses bad filters with typed issues and writes nothing', async () => {
    const { apiKey, workflowId, workspaceId } = await setup();
    const payload = await start(apiKey, {
      workflowId,
      filter: {
        countries: ['France'],
        languages: [],
        createdSince: '2026-01-02T00:00:00Z',
        createdBefore: '2026-01-01T00:00:00Z',
        customFields: [
          { key: 'plan', equals: 'Gold', contains: 'Go' },
          { key: 'email', equals: 'x' },
          { key: 'city', contains: '' },
        ],
      },
      variables: { coupon: 5 },
    });
    expect(payload.__typename).toBe('ValidationError');
    expect(payload.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(
      [
        'filter.countries[0]',
        'filter.createdBefore',
        'filter.customFields[0]',
        'filter.customFields[1].key',
        'filter.customFields[2].contains',
        'filter.languages',
        'variables.coupon',
      ].sort(),
    );
    const [{ n }] = (await harness.db
      .select({ n: count() })
      .from(segmentStarts)
      .where(eq(segmentStarts.workspaceId, workspaceId))) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('refuses an unpublished workflow and one of another workspace', async () => {
    const { apiKey, workspaceId } = await setup();
    const other = await setup();
    const notFound = await start(apiKey, { workflowId: other.workflowId, filter: {} });
    expect(notFound).toMatchObject({ __typename: 'NotFoundError', entity: 'Workflow' });
    const [draft] = await harness.db
      .execute<{ id: string }>(
        sql`insert into workflows (workspace_id, name) values (${workspaceId}::uuid, 'Draft') returning id`,
      )
      .then((result) => (result as unknown as { rows: { id: string }[] }).rows);
    const unpublished = await start(apiKey, { workflowId: draft!.id, filter: {} });
    expect(unpublished.__typename).toBe('ValidationError');
    expect(unpublished.issues[0].path).toBe('workflowId');
  });
});

describe('chunks', () => {
  const CONTACTS = SEGMENT_CHUNK_SIZE * 2 + 500;

  it(`starts ${CONTACTS} contacts in chunks of ${SEGMENT_CHUNK_SIZE}, progress growing chunk by chunk, every run enqueued once`, async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    const ids = await seedContacts(harness.db, workspaceId, CONTACTS);
    const started = await startOk(apiKey, { workflowId, filter: {} });
    expect(started.total).toBe(CONTACTS);
    const seen = new Set<number>();
    await waitFor(
      async () => {
        const now = await progress(apiKey, started.id);
        seen.add(now.started);
        return now.status === 'COMPLETED';
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'the segment start to complete' },
    );
    // Every value seen is a whole number of chunks (or the total): a chunk commits at once.
    for (const value of seen) {
      expect(value === CONTACTS || value % SEGMENT_CHUNK_SIZE === 0).toBe(true);
    }
    expect(seen.has(CONTACTS)).toBe(true);
    expect(await startedContacts(started.id)).toEqual(ids.sort());
    await waitFor(
      async () => {
        const [{ n }] = (await harness.db
          .select({ n: count() })
          .from(runs)
          .where(and(eq(runs.segmentStartId, started.id), isNotNull(runs.enqueuedAt)))) as [
          { n: number },
        ];
        return n === CONTACTS;
      },
      { what: 'every run to be enqueued' },
    );
    const listed = (await harness.gql(apiKey, LIST, { workflowId })).data.segmentStarts;
    expect(listed).toEqual([{ id: started.id, status: 'COMPLETED' }]);
  });

  it('a redelivered or duplicated chunk message starts no run twice', async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    await seedContacts(harness.db, workspaceId, SEGMENT_CHUNK_SIZE + 10);
    const started = await startOk(apiKey, { workflowId, filter: {} });
    // The API sent the first chunk; two more copies race it.
    await harness.enqueue({ v: 1, segmentStartId: started.id, after: null }, 'segments');
    await harness.enqueue({ v: 1, segmentStartId: started.id, after: null }, 'segments');
    const ended = await waitUntilEnded(apiKey, started.id);
    expect(ended).toMatchObject({ status: 'COMPLETED', started: SEGMENT_CHUNK_SIZE + 10 });
    // A late redelivery of every chunk after completion changes nothing either.
    const [row] = await harness.db
      .select({ cursor: segmentStarts.cursor })
      .from(segmentStarts)
      .where(eq(segmentStarts.id, started.id));
    await harness.enqueue({ v: 1, segmentStartId: started.id, after: null }, 'segments');
    await harness.enqueue({ v: 1, segmentStartId: started.id, after: row!.cursor }, 'segments');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const runIds = await startedContacts(started.id);
    expect(runIds).toHaveLength(SEGMENT_CHUNK_SIZE + 10);
    expect(new Set(runIds).size).toBe(runIds.length);
    expect((await progress(apiKey, started.id)).started).toBe(SEGMENT_CHUNK_SIZE + 10);
  });

  it('cancelling mid-way stops further chunks; runs already started stay', async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    await seedContacts(harness.db, workspaceId, SEGMENT_CHUNK_SIZE * 4);
    const started = await startOk(apiKey, { workflowId, filter: {} });
    await waitFor(async () => (await progress(apiKey, started.id)).started > 0, {
      intervalMs: 20,
      what: 'the first chunk',
    });
    const cancelled = (await harness.gql(apiKey, CANCEL, { id: started.id })).data
      .cancelSegmentStart;
    expect(cancelled.__typename).toBe('MutationCancelSegmentStartSuccess');
    expect(cancelled.data.status).toBe('CANCELLED');
    const atCancel = cancelled.data.started;
    expect(atCancel).toBeLessThan(SEGMENT_CHUNK_SIZE * 4);
    // Give the chain time to run, were it still going.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await progress(apiKey, started.id);
    expect(after).toMatchObject({ status: 'CANCELLED', started: atCancel });
    const runsStarted = await harness.db
      .select({ status: runs.status })
      .from(runs)
      .where(eq(runs.segmentStartId, started.id));
    expect(runsStarted).toHaveLength(atCancel);
    expect(runsStarted.every((run) => run.status === 'active')).toBe(true);
    // Cancelling again returns the start unchanged.
    const again = (await harness.gql(apiKey, CANCEL, { id: started.id })).data.cancelSegmentStart;
    expect(again.data).toMatchObject({ status: 'CANCELLED', started: atCancel });
  });

  it('a chunk that reaches the dead letter queue ends its start as failed', async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    await seedContacts(harness.db, workspaceId, 3);
    // Recorded by hand (no first chunk sent), then dead-lettered as the queue would.
    const [row] = await harness.db
      .insert(segmentStarts)
      .values({
        workspaceId,
        workflowId,
        versionId: (await harness.db.query.workflows.findFirst({ where: { id: workflowId } }))!
          .publishedVersionId!,
        filter: {},
        total: 3,
      })
      .returning({ id: segmentStarts.id });
    await harness.enqueue({ v: 1, segmentStartId: row!.id, after: null }, 'segments-dead-letter');
    const ended = await waitUntilEnded(apiKey, row!.id);
    expect(ended).toMatchObject({ status: 'FAILED', started: 0 });
  });

  it('the sweep sends the next chunk of a start whose message was lost', async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    await seedContacts(harness.db, workspaceId, 4);
    const versionId = (await harness.db.query.workflows.findFirst({ where: { id: workflowId } }))!
      .publishedVersionId!;
    const [row] = await harness.db
      .insert(segmentStarts)
      .values({
        workspaceId,
        workflowId,
        versionId,
        filter: {},
        total: 4,
        updatedAt: new Date(Date.now() - 10 * 60_000),
      })
      .returning({ id: segmentStarts.id });
    await harness.worker.triggerScheduled();
    const ended = await waitUntilEnded(apiKey, row!.id);
    expect(ended).toMatchObject({ status: 'COMPLETED', started: 4 });
  });
});

describe('tenancy', () => {
  it("another workspace's key neither sees, lists nor cancels a segment start", async () => {
    const { workspaceId, apiKey, workflowId } = await setup();
    await seedContacts(harness.db, workspaceId, 2);
    const started = await startOk(apiKey, { workflowId, filter: {} });
    const intruder = await setup();
    expect(await progress(intruder.apiKey, started.id)).toBeNull();
    expect((await harness.gql(intruder.apiKey, LIST, { workflowId })).data.segmentStarts).toEqual(
      [],
    );
    const cancel = (await harness.gql(intruder.apiKey, CANCEL, { id: started.id })).data
      .cancelSegmentStart;
    expect(cancel).toMatchObject({ __typename: 'NotFoundError', entity: 'SegmentStart' });
    expect((await waitUntilEnded(apiKey, started.id)).status).toBe('COMPLETED');
  });
});
