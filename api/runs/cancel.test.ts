import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { readEventsAfter } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { channels, runs } from '../../db/schema';
import { contactRunsLockKey, startingRunsLock, workflowRunsLockKey } from '../../db/start-runs';
import { applyStatusUpdates } from '../../edge/callbacks/status-updates';
import { RUN_CANCELLED_DETAIL_PREFIX } from '../../edge/dispatch/cancelled';
import { type ClaimedDelivery, claimDeliveries } from '../../edge/dispatch/claim';
import { recordAndMove } from '../../edge/dispatch/record';
import type { DeliveryOutcome, RunMove } from '../../edge/dispatch/record-input';
import { failAbandonedCancellations } from '../../edge/dispatch/sweep';
import { twoConsumers } from '../../edge/dispatch/test-consumers';
import {
  publishWorkflow,
  readDeliveries,
  readRun,
  seedContact,
  sendConfig,
} from '../../edge/dispatch/test-seed';
import { type EventPublisher, loggedEventFromRow } from '../../edge/pipeline';
import { useTestApi } from '../test-support';
import { duringDelete } from '../workflows/test-fixtures';

/**
 * Cancelling a run is the run leaving its workflow: partners following runs through the event
 * log (subscriptions, webhooks) must see it end, as they see a run the dispatcher ends.
 */

const { one: holder } = twoConsumers();
type Published = Parameters<EventPublisher['publish']>[0][number];
const published: Published[] = [];
const api = useTestApi({
  dispatch: { send: async () => undefined },
  events: { publish: async (events) => void published.push(...events) },
});

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) {
      ... on MutationStartWorkflowSuccess { data { runs { id } } }
    }
  }
`;

const START_TYPED = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) { __typename }
  }
`;

const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) {
    cancelRun(id: $id) {
      __typename
      ... on MutationCancelRunSuccess { data { id status exitReason } }
    }
  }
`;

const DELETE_CONTACT = /* GraphQL */ `
  mutation ($id: ID!) { deleteContact(id: $id) { __typename } }
`;
const DELETE_WORKFLOW = /* GraphQL */ `
  mutation ($id: ID!) { deleteWorkflow(id: $id) { __typename } }
`;

describe('cancelRun and partner events', () => {
  it('logs and publishes one run.exited event, and none when the run had already ended', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const { workflowId, stepIds } = await publishWorkflow(api.db, workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const contactId = await seedContact(api.db, workspaceId);
    const started = await api.gql(apiKey, START, {
      input: { workflowId, contactIds: [contactId] },
    });
    const runId: string = started.data.startWorkflow.data.runs[0].id;
    published.length = 0;

    const cancelled = await api.gql(apiKey, CANCEL, { id: runId });
    expect(cancelled.data.cancelRun.data).toEqual({
      id: runId,
      status: 'EXITED',
      exitReason: 'cancelled',
    });
    const log = await readEventsAfter(api.db, workspaceId, 1, 100);
    expect(log.map((event) => [event.cursor, event.type, event.run_id])).toEqual([
      [2, 'run.exited', runId],
    ]);
    expect(log[0]!.data).toEqual({
      run: {
        id: runId,
        workflowId,
        contactId,
        status: 'exited',
        stepId: stepIds.hello,
        visit: 1,
        fromStepId: null,
        exitReason: 'cancelled',
      },
    });
    // What the EventHub gets is what the log holds.
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      workspaceId,
      cursor: 2,
      refs: { workflowId, runId, contactId, channelId: null },
      event: {
        v: 1,
        cursor: '2',
        type: 'run.exited',
        occurredAt: new Date(log[0]!.occurred_at).toISOString(),
        data: log[0]!.data,
      },
    });

    // Cancelling again changes nothing, so it logs nothing.
    const again = await api.gql(apiKey, CANCEL, { id: runId });
    expect(again.data.cancelRun.__typename).toBe('MutationCancelRunSuccess');
    expect(await readEventsAfter(api.db, workspaceId, 2, 100)).toEqual([]);
    expect(published).toHaveLength(1);
  });

  it('deleting a contact or a workflow ends their active runs with run.exited first, and only those', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const other = await api.createWorkspace();
    const { workflowId } = await publishWorkflow(api.db, workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const [ada, bo, cy] = [
      await seedContact(api.db, workspaceId),
      await seedContact(api.db, workspaceId),
      await seedContact(api.db, workspaceId),
    ];
    const started = await api.gql(apiKey, START, {
      input: { workflowId, contactIds: [ada, bo, cy] },
    });
    const runIds: string[] = started.data.startWorkflow.data.runs.map(
      (run: { id: string }) => run.id,
    );
    // Cy's run has already ended: deleting its workflow logs nothing more for it.
    await api.gql(apiKey, CANCEL, { id: runIds[2] });
    const exitedRuns = async () =>
      (await readEventsAfter(api.db, workspaceId, 0, 100))
        .filter((event) => event.type === 'run.exited')
        .map((event) => [
          event.run_id,
          (event.data as { run: { exitReason: string } }).run.exitReason,
        ]);
    published.length = 0;

    // Another workspace cannot reach them, and nothing is logged.
    expect(
      (await api.gql(other.apiKey, DELETE_CONTACT, { id: ada })).data.deleteContact.__typename,
    ).toBe('NotFoundError');
    expect(await exitedRuns()).toEqual([[runIds[2], 'cancelled']]);

    await api.gql(apiKey, DELETE_CONTACT, { id: ada });
    expect(await exitedRuns()).toEqual([
      [runIds[2], 'cancelled'],
      [runIds[0], 'contact_deleted'],
    ]);
    await api.gql(apiKey, DELETE_WORKFLOW, { id: workflowId });
    expect(await exitedRuns()).toEqual([
      [runIds[2], 'cancelled'],
      [runIds[0], 'contact_deleted'],
      [runIds[1], 'workflow_deleted'],
    ]);
    expect(published.map((event) => [event.refs.runId, event.event.type])).toEqual([
      [runIds[0], 'run.exited'],
      [runIds[1], 'run.exited'],
    ]);
  });
});

/**
 * The two deletions that take runs with them, each with the advisory lock it takes exclusively
 * and starts take shared (db/start-runs.ts), and what it deletes in a workspace.
 */
const DELETIONS = [
  {
    name: 'a workflow',
    exitReason: 'workflow_deleted',
    lockKey: (workspace: { workflowId: string }) => workflowRunsLockKey(workspace.workflowId),
    remove: (apiKey: string, ids: { workflowId: string }) =>
      api.gql(apiKey, DELETE_WORKFLOW, { id: ids.workflowId }),
  },
  {
    name: 'a contact',
    exitReason: 'contact_deleted',
    lockKey: (workspace: { workspaceId: string }) => contactRunsLockKey(workspace.workspaceId),
    remove: (apiKey: string, ids: { contactId: string }) =>
      api.gql(apiKey, DELETE_CONTACT, { id: ids.contactId }),
  },
] as const;

/** A workspace with a published one-step workflow and a contact. */
async function startable() {
  const { workspaceId, apiKey } = await api.createWorkspace();
  const { workflowId, versionId, stepIds } = await publishWorkflow(api.db, workspaceId, [
    { key: 'hello', type: 'send_message', config: sendConfig() },
  ]);
  const contactId = await seedContact(api.db, workspaceId);
  return { workspaceId, apiKey, workflowId, versionId, stepId: stepIds.hello!, contactId };
}

describe.each(DELETIONS)('deleting $name while a start commits runs', (deletion) => {
  it('ends those runs too, with their run.exited, before they go with it', async () => {
    const ids = await startable();
    const { workspaceId, workflowId, versionId, contactId } = ids;
    let runId = '';
    // A start (here held before its commit) has taken the start locks and inserted its run, as
    // startWorkflow does; the delete runs meanwhile, and the start commits once the delete
    // waits for it.
    const result = await duringDelete(
      api.db,
      async (tx) => {
        await tx.execute(startingRunsLock(workspaceId, workflowId));
        const [run] = await tx
          .insert(runs)
          .values({ workspaceId, workflowId, versionId, contactId, currentStepId: ids.stepId })
          .returning({ id: runs.id });
        runId = run!.id;
      },
      () => deletion.remove(ids.apiKey, ids),
    );
    expect(Object.values(result.data)).toEqual([{ __typename: expect.stringMatching(/Success$/) }]);
    const exited = (await readEventsAfter(api.db, workspaceId, 0, 100))
      .filter((event) => event.type === 'run.exited')
      .map((event) => [
        event.run_id,
        (event.data as { run: { exitReason: string } }).run.exitReason,
      ]);
    expect(exited).toEqual([[runId, deletion.exitReason]]);
    expect(await api.db.select().from(runs).where(eq(runs.id, runId))).toHaveLength(0);
  });
});

describe.each(DELETIONS)('startWorkflow while $name is being deleted', (deletion) => {
  it("waits for the delete's lock before inserting its runs", async () => {
    const ids = await startable();
    // A delete (here held before it ends the runs) holds its lock exclusively, as the deletion
    // does: the start waits (duringDelete fails if it does not), and goes on once the lock is
    // released (here nothing was deleted; a deleted contact or workflow is refused, as when it
    // was deleted first).
    const result = await duringDelete(
      api.db,
      (tx) => tx.execute(sql`select pg_advisory_xact_lock(${deletion.lockKey(ids)})`),
      () =>
        api.gql(ids.apiKey, START_TYPED, {
          input: { workflowId: ids.workflowId, contactIds: [ids.contactId] },
        }),
    );
    expect(result.data.startWorkflow.__typename).toBe('MutationStartWorkflowSuccess');
    expect(
      await api.db.select().from(runs).where(eq(runs.workflowId, ids.workflowId)),
    ).toHaveLength(1);
  });
});

describe('cancelRun and a delivery waiting for its retry', () => {
  /** A run started at a send step, and the key its delivery is claimed by. */
  async function startedRun() {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const { workflowId, stepIds } = await publishWorkflow(api.db, workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const contactId = await seedContact(api.db, workspaceId);
    const started = await api.gql(apiKey, START, {
      input: { workflowId, contactIds: [contactId] },
    });
    const runId: string = started.data.startWorkflow.data.runs[0].id;
    const key = { workspaceId, runId, stepId: stepIds.hello!, visit: 1 };
    return { workspaceId, apiKey, workflowId, contactId, runId, key };
  }

  /** Records `claim`'s attempt as a transient failure (a timeout), keeping the run for a retry. */
  function recordRetry(
    db: Database,
    run: Awaited<ReturnType<typeof startedRun>>,
    claim: ClaimedDelivery,
    channelId: string | null = null,
  ) {
    const outcome: DeliveryOutcome = {
      deliveryId: claim.id,
      attempts: claim.attempts,
      claimedAtMs: claim.claimedAtMs,
      status: 'queued',
      channelId,
      recipient: null,
      reasonCode: 'network',
      reasonDetail: 'timeout',
      providerMessageId: null,
      contentSummary: 'Hello',
      messageIdHeader: null,
      segments: null,
      thread: null,
    };
    const move: RunMove = {
      runId: run.runId,
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      contactId: run.contactId,
      fromVisit: 1,
      fromStepId: run.key.stepId,
      afterDeliveryId: claim.id,
      status: 'active',
      stepId: run.key.stepId,
      visit: 1,
      dueInSeconds: 30,
      exitReason: null,
      alreadyEnqueued: true,
    };
    return recordAndMove(db, [outcome], [move]);
  }

  const cancelledDetail = `${RUN_CANCELLED_DETAIL_PREFIX}timeout`;

  it('fails it with run_cancelled, logging its delivery.failed before the run.exited', async () => {
    const run = await startedRun();
    const [claim] = await claimDeliveries(api.db, [run.key]);
    await recordRetry(api.db, run, claim!);
    const before = (await readEventsAfter(api.db, run.workspaceId, 0, 100)).length;
    published.length = 0;

    await api.gql(run.apiKey, CANCEL, { id: run.runId });
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      {
        id: claim!.id,
        status: 'failed',
        attempts: 1,
        reasonCode: 'run_cancelled',
        reasonDetail: cancelledDetail,
      },
    ]);
    const log = await readEventsAfter(api.db, run.workspaceId, before, 100);
    expect(log.map((event) => event.type)).toEqual(['delivery.failed', 'run.exited']);
    expect(log[0]!.data).toMatchObject({
      delivery: {
        id: claim!.id,
        runId: run.runId,
        status: 'failed',
        reason: { code: 'run_cancelled', detail: cancelledDetail },
      },
    });
    expect(published.map((event) => event.event)).toEqual(
      log.map((row) => loggedEventFromRow(row).event),
    );
    // The API shows the reason.
    const shown = await api.gql(
      run.apiKey,
      `query ($id: ID!) { run(id: $id) { deliveries { status reasonCode } } }`,
      { id: run.runId },
    );
    expect(shown.errors).toBeUndefined();
    expect(shown.data.run.deliveries).toEqual([{ status: 'FAILED', reasonCode: 'RUN_CANCELLED' }]);
  });

  it('records it sent after all when a provider status proves its timed-out attempt went out', async () => {
    const run = await startedRun();
    const channelId = await api.createChannel(run.apiKey, 'WHATSAPP');
    const [claim] = await claimDeliveries(api.db, [run.key]);
    await recordRetry(api.db, run, claim!, channelId);
    await api.gql(run.apiKey, CANCEL, { id: run.runId });
    const before = (await readEventsAfter(api.db, run.workspaceId, 0, 100)).length;
    await applyStatusUpdates(api.db, [
      {
        kind: 'status',
        eventKey: `${claim!.id}:sent`,
        channelId,
        providerMessageId: 'wamid.proved',
        deliveryId: claim!.id,
        status: 'sent',
        at: new Date().toISOString(),
        failure: null,
      },
    ]);
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      {
        status: 'sent',
        providerStatus: 'sent',
        providerMessageId: 'wamid.proved',
        reasonCode: null,
        reasonDetail: null,
      },
    ]);
    const log = await readEventsAfter(api.db, run.workspaceId, before, 100);
    expect(log.map((event) => event.type)).toEqual(['delivery.sent']);
    expect(await readRun(api.db, run.runId)).toMatchObject({ status: 'exited' });
  });

  it('leaves it to the attempt in flight, whose retry outcome then fails it', async () => {
    const run = await startedRun();
    const [first] = await claimDeliveries(api.db, [run.key]);
    await recordRetry(api.db, run, first!);
    // The retry's attempt is in flight when the run is cancelled.
    const [retry] = await claimDeliveries(api.db, [run.key]);
    expect(retry).toMatchObject({ claimed: true, attempts: 2 });
    await api.gql(run.apiKey, CANCEL, { id: run.runId });
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      { status: 'queued', attempts: 1 },
    ]);
    // It times out too: its run is no longer active, so no retry is left behind.
    await recordRetry(api.db, run, retry!);
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      { status: 'failed', attempts: 2, reasonCode: 'run_cancelled', reasonDetail: cancelledDetail },
    ]);
    expect(await readRun(api.db, run.runId)).toMatchObject({
      status: 'exited',
      leaseUntil: null,
    });
  });

  it('fails it once the claim of an attempt in flight expires, its consumer having died; a late record changes nothing', async () => {
    const run = await startedRun();
    const [first] = await claimDeliveries(api.db, [run.key]);
    await recordRetry(api.db, run, first!);
    const [retry] = await claimDeliveries(api.db, [run.key]);
    await api.gql(run.apiKey, CANCEL, { id: run.runId });
    // Before the lease ends, the sweep leaves the claim to its holder.
    expect(await failAbandonedCancellations(api.db)).toEqual([]);
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([{ status: 'queued' }]);
    // The consumer died: its lease ran out with no record.
    await api.db.execute(
      sql`update runs set lease_until = now() - interval '1 second' where id = ${run.runId}`,
    );
    const before = (await readEventsAfter(api.db, run.workspaceId, 0, 100)).length;
    const logged = await failAbandonedCancellations(api.db);
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      { status: 'failed', attempts: 1, reasonCode: 'run_cancelled', reasonDetail: cancelledDetail },
    ]);
    expect(await readRun(api.db, run.runId)).toMatchObject({ status: 'exited', leaseUntil: null });
    const log = await readEventsAfter(api.db, run.workspaceId, before, 100);
    expect(log.map((event) => event.type)).toEqual(['delivery.failed']);
    expect(logged.map((event) => event.cursor)).toEqual(log.map((event) => event.cursor));
    // Once only; and the dead consumer's record, should it come after all, records nothing.
    expect(await failAbandonedCancellations(api.db)).toEqual([]);
    await recordRetry(api.db, run, retry!);
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      { status: 'failed', attempts: 1, reasonCode: 'run_cancelled' },
    ]);
  });

  it('sees the retry a record commits while the cancellation waits for its run', async () => {
    const run = await startedRun();
    const [claim] = await claimDeliveries(api.db, [run.key]);
    // The record of the first attempt (a timeout) holds the run's row while cancelRun comes.
    const client = await holder.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `update runs set lease_until = null, due_at = now() + interval '30 seconds'
         where id = $1`,
        [run.runId],
      );
      await client.query(
        `insert into deliveries (id, workspace_id, run_id, step_id, visit, status, attempts,
                                 reason_code, reason_detail)
         values ($1, $2, $3, $4, 1, 'queued', 1, 'network', 'timeout')`,
        [claim!.id, run.workspaceId, run.runId, run.key.stepId],
      );
      const cancelling = api.gql(run.apiKey, CANCEL, { id: run.runId });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.query('commit');
      expect((await cancelling).data.cancelRun.data).toMatchObject({ status: 'EXITED' });
    } finally {
      client.release();
    }
    expect(await readDeliveries(api.db, run.runId)).toMatchObject([
      { status: 'failed', reasonCode: 'run_cancelled', reasonDetail: cancelledDetail },
    ]);
  });
});

describe('deleting the contact of a run cancelled while its email was in flight', () => {
  /** Resolves with the backend that waits for a lock `blocker` holds. */
  async function blockedBy(blocker: number): Promise<number> {
    for (const started = Date.now(); Date.now() - started < 10_000; ) {
      const [row] = await queryRows<{ pid: number }>(
        api.db,
        sql`select pid from pg_stat_activity where ${blocker}::int = any(pg_blocking_pids(pid))`,
      );
      if (row) return row.pid;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`nothing waited for backend ${blocker}`);
  }

  it('records the email while the delete waits for its run, without a deadlock', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const { workflowId, stepIds } = await publishWorkflow(api.db, workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const contactId = await seedContact(api.db, workspaceId);
    const [email] = await api.db
      .insert(channels)
      .values({ workspaceId, type: 'email', name: 'Mail' })
      .returning({ id: channels.id });
    const started = await api.gql(apiKey, START, {
      input: { workflowId, contactIds: [contactId] },
    });
    const runId: string = started.data.startWorkflow.data.runs[0].id;
    const [claim] = await claimDeliveries(api.db, [
      { workspaceId, runId, stepId: stepIds.hello!, visit: 1 },
    ]);
    await api.gql(apiKey, CANCEL, { id: runId });
    const outcome: DeliveryOutcome = {
      deliveryId: claim!.id,
      attempts: claim!.attempts,
      claimedAtMs: claim!.claimedAtMs,
      status: 'sent',
      channelId: email!.id,
      recipient: null,
      reasonCode: null,
      reasonDetail: null,
      providerMessageId: 'smtp-1',
      contentSummary: 'Hello',
      messageIdHeader: `<${claim!.id}@sendflow.test>`,
      segments: null,
      thread: { workspaceId, workflowId, contactId, providerThread: null },
    };
    const move: RunMove = {
      runId,
      workspaceId,
      workflowId,
      contactId,
      fromVisit: 1,
      fromStepId: stepIds.hello!,
      afterDeliveryId: claim!.id,
      status: 'completed',
      stepId: null,
      visit: 1,
      dueInSeconds: 0,
      exitReason: null,
      alreadyEnqueued: false,
    };

    // The record is held after it has locked the run (another transaction is inserting the
    // same delivery), the delete comes meanwhile, and then the record goes on to the email's
    // thread, whose foreign keys lock the contact and the workflow.
    const holder = new pg.Client({ connectionString: inject('databaseUrl') });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(
        `insert into deliveries (workspace_id, run_id, step_id, visit, status)
         values ($1, $2, $3, 1, 'queued')`,
        [workspaceId, runId, stepIds.hello],
      );
      const holderPid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid;
      const recording = recordAndMove(api.db, [outcome], [move]);
      recording.catch(() => {});
      const recorder = await blockedBy(holderPid);
      const deleting = api.gql(apiKey, DELETE_CONTACT, { id: contactId });
      deleting.catch(() => {});
      await blockedBy(recorder);
      await holder.query('rollback');
      await expect(recording).resolves.toEqual([]);
      const deleted = await deleting;
      expect(deleted.errors).toBeUndefined();
      expect(deleted.data.deleteContact.__typename).toBe('MutationDeleteContactSuccess');
    } finally {
      await holder.end();
    }
    expect(await api.db.select().from(runs).where(eq(runs.id, runId))).toEqual([]);
  });
});
