import { eq } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialCipher } from '../../db/credentials';
import { contacts, deliveries, runs, workflows } from '../../db/schema';
import type { DispatchRequest } from '../../edge/dispatch/message';
import {
  publishWorkflow,
  seedContact,
  seedCustomChannel,
  sendConfig,
} from '../../edge/dispatch/test-seed';
import { type TestWorkspace, useTestApi } from '../test-support';
import { duringDelete } from '../workflows/test-fixtures';

/** Runs over GraphQL: starting, cancelling, listing, and what other workspaces can see. */

const enqueued: DispatchRequest[] = [];
let queueDown = false;
const api = useTestApi({
  dispatch: {
    async send(requests) {
      if (queueDown) throw new Error('queue unavailable');
      enqueued.push(...requests);
    },
  },
});

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) {
      __typename
      ... on MutationStartWorkflowSuccess {
        data { runCount runs { id workflowId versionId contactId status currentStepId stepVisit triggerVariables } }
      }
      ... on ValidationError { issues { code path message } }
      ... on NotFoundError { entity id }
    }
  }
`;

const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) {
    cancelRun(id: $id) {
      __typename
      ... on MutationCancelRunSuccess { data { id status exitReason endedAt } }
      ... on NotFoundError { entity id }
    }
  }
`;

let a: TestWorkspace;
let b: TestWorkspace;
let aWorkflow: Awaited<ReturnType<typeof publishWorkflow>>;
let aContacts: string[];
let bContact: string;

beforeAll(async () => {
  a = await api.createWorkspace('A');
  b = await api.createWorkspace('B');
  aWorkflow = await publishWorkflow(api.db, a.workspaceId, [
    { key: 'hello', type: 'send_message', config: sendConfig() },
  ]);
  aContacts = [
    await seedContact(api.db, a.workspaceId, { firstName: 'One' }),
    await seedContact(api.db, a.workspaceId, { firstName: 'Two' }),
  ];
  bContact = await seedContact(api.db, b.workspaceId, { firstName: 'Other' });
});

beforeEach(() => {
  enqueued.length = 0;
  queueDown = false;
});

async function runCount(workspaceId: string): Promise<number> {
  return api.db.$count(runs, eq(runs.workspaceId, workspaceId));
}

describe('startWorkflow', () => {
  it('commits one run per contact at the entry step, pinned to the published version, then enqueues ids', async () => {
    const result = await api.gql(a.apiKey, START, {
      input: {
        workflowId: aWorkflow.workflowId,
        contactIds: aContacts,
        variables: { coupon: 'X1' },
      },
    });
    const payload = result.data.startWorkflow;
    expect(payload.__typename).toBe('MutationStartWorkflowSuccess');
    expect(payload.data.runCount).toBe(2);
    expect(payload.data.runs.map((run: { contactId: string }) => run.contactId)).toEqual(aContacts);
    for (const run of payload.data.runs) {
      expect(run).toMatchObject({
        workflowId: aWorkflow.workflowId,
        versionId: aWorkflow.versionId,
        status: 'ACTIVE',
        currentStepId: aWorkflow.stepIds.hello,
        stepVisit: 1,
        triggerVariables: { coupon: 'X1' },
      });
    }
    const ids = payload.data.runs.map((run: { id: string }) => run.id);
    expect(enqueued).toEqual(ids.map((runId: string) => ({ runId, visit: 1, delaySeconds: 0 })));
    for (const id of ids) {
      const [row] = await api.db.select().from(runs).where(eq(runs.id, id));
      expect(row!.enqueuedAt).toBeInstanceOf(Date);
      expect(row!.dueAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('times a wait at the entry step from the start and delays its message', async () => {
    const waitFirst = await publishWorkflow(api.db, a.workspaceId, [
      { key: 'pause', type: 'wait', config: { seconds: 90 }, next: 'hello' },
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const result = await api.gql(a.apiKey, START, {
      input: { workflowId: waitFirst.workflowId, contactIds: [aContacts[0]] },
    });
    const [run] = result.data.startWorkflow.data.runs;
    const [row] = await api.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row!.dueAt.getTime() - Date.now()).toBeGreaterThan(80_000);
    expect(enqueued).toEqual([{ runId: run.id, visit: 1, delaySeconds: 90 }]);
  });

  it('keeps the runs committed (for the sweep) when the queue cannot be reached', async () => {
    queueDown = true;
    const result = await api.gql(a.apiKey, START, {
      input: { workflowId: aWorkflow.workflowId, contactIds: [aContacts[1]] },
    });
    const [run] = result.data.startWorkflow.data.runs;
    const [row] = await api.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row).toMatchObject({ status: 'active', enqueuedAt: null });
  });

  it('rejects an unpublished workflow and writes nothing', async () => {
    const draft = await publishWorkflow(api.db, a.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    await api.db
      .update(workflows)
      .set({ publishedVersionId: null })
      .where(eq(workflows.id, draft.workflowId));
    const before = await runCount(a.workspaceId);
    const result = await api.gql(a.apiKey, START, {
      input: { workflowId: draft.workflowId, contactIds: aContacts },
    });
    expect(result.data.startWorkflow).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'workflowId' }],
    });
    expect(await runCount(a.workspaceId)).toBe(before);
    expect(enqueued).toEqual([]);
  });

  it("rejects unknown contacts and other workspaces' contacts, listing each, and writes nothing", async () => {
    const before = await runCount(a.workspaceId);
    const result = await api.gql(a.apiKey, START, {
      input: {
        workflowId: aWorkflow.workflowId,
        contactIds: [aContacts[0], bContact, 'not-a-uuid'],
      },
    });
    expect(result.data.startWorkflow.__typename).toBe('ValidationError');
    expect(result.data.startWorkflow.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'contactIds[1]',
      'contactIds[2]',
    ]);
    expect(await runCount(a.workspaceId)).toBe(before);
    expect(await runCount(b.workspaceId)).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it('locates each unknown contact at its index in the input, duplicates counted', async () => {
    const before = await runCount(a.workspaceId);
    const unknown = '00000000-0000-4000-8000-000000000077';
    const result = await api.gql(a.apiKey, START, {
      input: {
        workflowId: aWorkflow.workflowId,
        contactIds: [aContacts[0], aContacts[0], aContacts[1], unknown, bContact, unknown],
      },
    });
    expect(result.data.startWorkflow.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'contactIds[3]', message: `Contact ${unknown} was not found` },
      {
        code: 'INVALID_VALUE',
        path: 'contactIds[4]',
        message: `Contact ${bContact} was not found`,
      },
    ]);
    expect(await runCount(a.workspaceId)).toBe(before);
    expect(enqueued).toEqual([]);
  });

  it('takes contact ids in upper case as the same contacts (UUIDs are case-insensitive), one run each', async () => {
    const upper = aContacts[1]!.toUpperCase();
    const result = await api.gql(a.apiKey, START, {
      input: { workflowId: aWorkflow.workflowId, contactIds: [upper, aContacts[1]] },
    });
    expect(result.data.startWorkflow.__typename).toBe('MutationStartWorkflowSuccess');
    expect(
      result.data.startWorkflow.data.runs.map((run: { contactId: string }) => run.contactId),
    ).toEqual([aContacts[1]]);
  });

  it('answers a contact or workflow deleted while it starts with the typed error, writing nothing', async () => {
    const doomed = await seedContact(api.db, a.workspaceId, { firstName: 'Doomed' });
    const before = await runCount(a.workspaceId);
    const contactGone = await duringDelete(
      api.db,
      (tx) => tx.delete(contacts).where(eq(contacts.id, doomed)),
      () =>
        api.gql(a.apiKey, START, {
          input: { workflowId: aWorkflow.workflowId, contactIds: [aContacts[0], doomed] },
        }),
    );
    expect(contactGone.errors).toBeUndefined();
    expect(contactGone.data.startWorkflow).toEqual({
      __typename: 'ValidationError',
      issues: [
        {
          code: 'INVALID_VALUE',
          path: 'contactIds[1]',
          message: `Contact ${doomed} was not found`,
        },
      ],
    });

    const other = await publishWorkflow(api.db, a.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const workflowGone = await duringDelete(
      api.db,
      (tx) => tx.delete(workflows).where(eq(workflows.id, other.workflowId)),
      () =>
        api.gql(a.apiKey, START, {
          input: { workflowId: other.workflowId, contactIds: [aContacts[0]] },
        }),
    );
    expect(workflowGone.errors).toBeUndefined();
    expect(workflowGone.data.startWorkflow).toEqual({
      __typename: 'NotFoundError',
      entity: 'Workflow',
      id: other.workflowId,
    });
    expect(await runCount(a.workspaceId)).toBe(before);
    expect(enqueued).toEqual([]);
  });

  it('keeps a trigger variable named __proto__ like any other', async () => {
    const result = await api.gql(a.apiKey, START, {
      input: {
        workflowId: aWorkflow.workflowId,
        contactIds: [aContacts[0]],
        variables: JSON.parse('{"__proto__":"p","order":"A-17"}'),
      },
    });
    const [run] = result.data.startWorkflow.data.runs;
    // jsonb orders keys by length.
    expect(Object.entries(run.triggerVariables)).toEqual([
      ['order', 'A-17'],
      ['__proto__', 'p'],
    ]);
    const [row] = await api.db
      .select({ triggerVariables: runs.triggerVariables })
      .from(runs)
      .where(eq(runs.id, run.id));
    expect(Object.keys(row!.triggerVariables as object)).toEqual(['order', '__proto__']);
  });

  it('rejects trigger variables that are not a map of strings', async () => {
    const result = await api.gql(a.apiKey, START, {
      input: {
        workflowId: aWorkflow.workflowId,
        contactIds: aContacts,
        variables: { ok: 'yes', count: 3, 'bad-name': 'x' },
      },
    });
    expect(result.data.startWorkflow.__typename).toBe('ValidationError');
    expect(result.data.startWorkflow.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'variables.count',
      'variables.bad-name',
    ]);
  });

  it("answers NotFoundError for another workspace's workflow", async () => {
    const result = await api.gql(b.apiKey, START, {
      input: { workflowId: aWorkflow.workflowId, contactIds: [bContact] },
    });
    expect(result.data.startWorkflow).toEqual({
      __typename: 'NotFoundError',
      entity: 'Workflow',
      id: aWorkflow.workflowId,
    });
    expect(await runCount(b.workspaceId)).toBe(0);
  });

  it('is refused to a read-only key', async () => {
    const readKey = await api.createKey(a.workspaceId, ['read']);
    const result = await api.gql(readKey, START, {
      input: { workflowId: aWorkflow.workflowId, contactIds: aContacts },
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

async function startOne(contactId: string): Promise<string> {
  const result = await api.gql(a.apiKey, START, {
    input: { workflowId: aWorkflow.workflowId, contactIds: [contactId] },
  });
  return result.data.startWorkflow.data.runs[0].id;
}

describe('cancelRun', () => {
  it('makes an active run exit with reason cancelled', async () => {
    const id = await startOne(aContacts[0]!);
    const result = await api.gql(a.apiKey, CANCEL, { id });
    expect(result.data.cancelRun.data).toMatchObject({
      id,
      status: 'EXITED',
      exitReason: 'cancelled',
    });
    expect(result.data.cancelRun.data.endedAt).toBeTruthy();
  });

  it('returns a run that already ended unchanged', async () => {
    const id = await startOne(aContacts[0]!);
    await api.db
      .update(runs)
      .set({ status: 'completed', endedAt: new Date('2026-01-01T00:00:00Z') })
      .where(eq(runs.id, id));
    const result = await api.gql(a.apiKey, CANCEL, { id });
    expect(result.data.cancelRun.data).toEqual({
      id,
      status: 'COMPLETED',
      exitReason: null,
      endedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it("answers NotFoundError for another workspace's run and leaves it running", async () => {
    const id = await startOne(aContacts[0]!);
    const result = await api.gql(b.apiKey, CANCEL, { id });
    expect(result.data.cancelRun).toEqual({ __typename: 'NotFoundError', entity: 'Run', id });
    const [row] = await api.db.select().from(runs).where(eq(runs.id, id));
    expect(row!.status).toBe('active');
  });
});

describe('runs and run', () => {
  it('lists runs newest first, filtered, paged, with a total count', async () => {
    const workspace = await api.createWorkspace('Lists');
    const workflow = await publishWorkflow(api.db, workspace.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const contacts = [
      await seedContact(api.db, workspace.workspaceId),
      await seedContact(api.db, workspace.workspaceId),
      await seedContact(api.db, workspace.workspaceId),
    ];
    const ids: string[] = [];
    for (const contactId of contacts) {
      const result = await api.gql(workspace.apiKey, START, {
        input: { workflowId: workflow.workflowId, contactIds: [contactId] },
      });
      ids.push(result.data.startWorkflow.data.runs[0].id);
    }
    await api.db
      .update(runs)
      .set({ status: 'exited', exitReason: 'cancelled' })
      .where(eq(runs.id, ids[0]!));

    const LIST = /* GraphQL */ `
      query ($first: Int, $after: String, $filter: RunFilter) {
        runs(first: $first, after: $after, filter: $filter) {
          totalCount
          nodes { id contactId }
          pageInfo { hasNextPage endCursor }
        }
      }
    `;
    const page1 = await api.gql(workspace.apiKey, LIST, { first: 2 });
    expect(page1.data.runs.totalCount).toBe(3);
    expect(page1.data.runs.nodes.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
    const page2 = await api.gql(workspace.apiKey, LIST, {
      first: 2,
      after: page1.data.runs.pageInfo.endCursor,
    });
    expect(page2.data.runs.nodes.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
    expect(page2.data.runs.pageInfo.hasNextPage).toBe(false);

    const active = await api.gql(workspace.apiKey, LIST, { filter: { status: 'ACTIVE' } });
    expect(active.data.runs.totalCount).toBe(2);
    const byContact = await api.gql(workspace.apiKey, LIST, { filter: { contactId: contacts[1] } });
    expect(byContact.data.runs.nodes.map((n: { id: string }) => n.id)).toEqual([ids[1]]);
    const byWorkflow = await api.gql(workspace.apiKey, LIST, {
      filter: { workflowId: workflow.workflowId },
    });
    expect(byWorkflow.data.runs.totalCount).toBe(3);
    const garbage = await api.gql(workspace.apiKey, LIST, { filter: { workflowId: 'nope' } });
    expect(garbage.data.runs).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it("shows a run's deliveries with status, reason, channel, summary, provider id and attempts", async () => {
    const id = await startOne(aContacts[0]!);
    const channelId = await seedCustomChannel(
      { db: api.db, cipher: new CredentialCipher(api.credentialsKey) },
      a.workspaceId,
      'https://hooks.example.com/in',
    );
    await api.db.insert(deliveries).values({
      workspaceId: a.workspaceId,
      runId: id,
      stepId: aWorkflow.stepIds.hello!,
      visit: 1,
      channelId,
      status: 'failed',
      reasonCode: 'rate_limited',
      reasonDetail: 'endpoint answered HTTP 429',
      attempts: 5,
      contentSummary: 'Hello One',
    });
    const result = await api.gql(
      a.apiKey,
      /* GraphQL */ `
        query ($id: ID!) {
          run(id: $id) {
            id status contact { id }
            deliveries {
              status reasonCode reasonDetail channel { id type } contentSummary
              providerMessageId attempts createdAt sentAt visit stepId
            }
          }
        }
      `,
      { id },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.run).toMatchObject({ id, status: 'ACTIVE', contact: { id: aContacts[0] } });
    expect(result.data.run.deliveries).toEqual([
      {
        status: 'FAILED',
        reasonCode: 'RATE_LIMITED',
        reasonDetail: 'endpoint answered HTTP 429',
        channel: { id: channelId, type: 'CUSTOM' },
        contentSummary: 'Hello One',
        providerMessageId: null,
        attempts: 5,
        createdAt: expect.any(String),
        sentAt: null,
        visit: 1,
        stepId: aWorkflow.stepIds.hello,
      },
    ]);
  });

  it('shows when the claim of a send in flight ends, and nothing once no one holds it', async () => {
    const id = await startOne(aContacts[1]!);
    const QUERY = /* GraphQL */ `
      query ($id: ID!) { run(id: $id) { sendingUntil deliveries { id } } }
    `;
    expect((await api.gql(a.apiKey, QUERY, { id })).data.run).toEqual({
      sendingUntil: null,
      deliveries: [],
    });
    // A consumer claimed the run's delivery (edge/dispatch/claim.ts) and is calling the provider.
    const leaseUntil = new Date(Date.now() + 60_000);
    await api.db
      .update(runs)
      .set({ leaseUntil, deliveryId: crypto.randomUUID(), deliveryAttempts: 1 })
      .where(eq(runs.id, id));
    expect((await api.gql(a.apiKey, QUERY, { id })).data.run).toEqual({
      sendingUntil: leaseUntil.toISOString(),
      deliveries: [],
    });
    // Cancelled meanwhile: the send already under way still goes out, so it still shows.
    await api.db
      .update(runs)
      .set({ leaseUntil, status: 'exited', exitReason: 'cancelled' })
      .where(eq(runs.id, id));
    expect((await api.gql(a.apiKey, QUERY, { id })).data.run.sendingUntil).toBe(
      leaseUntil.toISOString(),
    );
    // Its holder died (the lease ran out): not in flight.
    await api.db
      .update(runs)
      .set({ leaseUntil: new Date(Date.now() - 1_000) })
      .where(eq(runs.id, id));
    expect((await api.gql(a.apiKey, QUERY, { id })).data.run.sendingUntil).toBeNull();
  });

  it("never shows another workspace's runs", async () => {
    const id = await startOne(aContacts[0]!);
    const result = await api.gql(
      b.apiKey,
      /* GraphQL */ `
        query ($id: ID!, $workflowId: ID!) {
          run(id: $id) { id }
          runs(first: 100, filter: { workflowId: $workflowId }) { totalCount nodes { id } }
          all: runs(first: 100) { nodes { id } }
        }
      `,
      { id, workflowId: aWorkflow.workflowId },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.run).toBeNull();
    expect(result.data.runs).toEqual({ totalCount: 0, nodes: [] });
    expect(result.data.all.nodes).toEqual([]);
  });

  it('may be read with a read-only key', async () => {
    const readKey = await api.createKey(a.workspaceId, ['read']);
    const result = await api.gql(readKey, '{ runs(first: 1) { totalCount } }');
    expect(result.errors).toBeUndefined();
    expect(result.data.runs.totalCount).toBeGreaterThan(0);
  });
});

describe('runs pages (bug hunt)', () => {
  it('reports pageInfo from the runs that remain when the run a cursor names was deleted', async () => {
    const workspace = await api.createWorkspace('Pages');
    const workflow = await publishWorkflow(api.db, workspace.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const contactId = await seedContact(api.db, workspace.workspaceId);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await api.gql(workspace.apiKey, START, {
        input: { workflowId: workflow.workflowId, contactIds: [contactId] },
      });
      ids.push(result.data.startWorkflow.data.runs[0].id);
    }
    const PAGE = /* GraphQL */ `
      query ($first: Int, $last: Int, $after: String, $before: String) {
        runs(first: $first, last: $last, after: $after, before: $before) {
          nodes { id }
          pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
        }
      }
    `;
    // Newest first: ids[2], ids[1], ids[0].
    const newest = await api.gql(workspace.apiKey, PAGE, { first: 1 });
    const oldest = await api.gql(workspace.apiKey, PAGE, { last: 1 });
    expect(newest.data.runs.nodes).toEqual([{ id: ids[2] }]);
    expect(oldest.data.runs.nodes).toEqual([{ id: ids[0] }]);
    const afterNewest = newest.data.runs.pageInfo.endCursor;
    const beforeOldest = oldest.data.runs.pageInfo.startCursor;
    const page = async (variables: Record<string, unknown>) => {
      const result = await api.gql(workspace.apiKey, PAGE, variables);
      expect(result.errors).toBeUndefined();
      const { nodes, pageInfo } = result.data.runs;
      return {
        ids: nodes.map((n: { id: string }) => n.id),
        next: pageInfo.hasNextPage,
        prev: pageInfo.hasPreviousPage,
      };
    };
    expect(await page({ first: 5, after: afterNewest })).toEqual({
      ids: [ids[1], ids[0]],
      next: false,
      prev: true,
    });
    await api.db.delete(runs).where(eq(runs.id, ids[2]!));
    await api.db.delete(runs).where(eq(runs.id, ids[0]!));
    expect(await page({ first: 5, after: afterNewest })).toEqual({
      ids: [ids[1]],
      next: false,
      prev: false,
    });
    expect(await page({ last: 5, before: beforeOldest })).toEqual({
      ids: [ids[1]],
      next: false,
      prev: false,
    });
    expect(await page({ first: 5, before: beforeOldest })).toEqual({
      ids: [ids[1]],
      next: false,
      prev: false,
    });
  });

  it('reads a delivery its cancelled run failed (RUN_CANCELLED) as dispatch recorded it', async () => {
    const id = await startOne(aContacts[0]!);
    await api.db.insert(deliveries).values({
      workspaceId: a.workspaceId,
      runId: id,
      stepId: aWorkflow.stepIds.hello!,
      visit: 1,
      channelId: null,
      status: 'queued',
      reasonCode: 'network',
      reasonDetail: 'timeout',
      attempts: 1,
    });
    const cancelled = await api.gql(a.apiKey, CANCEL, { id });
    expect(cancelled.data.cancelRun.data).toMatchObject({
      status: 'EXITED',
      exitReason: 'cancelled',
    });
    const result = await api.gql(
      a.apiKey,
      'query ($id: ID!) { run(id: $id) { deliveries { status reasonCode reasonDetail sentAt failedAt } } }',
      { id },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.run.deliveries).toEqual([
      {
        status: 'FAILED',
        reasonCode: 'RUN_CANCELLED',
        reasonDetail: expect.stringContaining('timeout'),
        sentAt: null,
        failedAt: null,
      },
    ]);
  });
});
