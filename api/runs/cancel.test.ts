import { describe, expect, it } from 'vitest';
import { readEventsAfter } from '../../db/event-log';
import { publishWorkflow, seedContact, sendConfig } from '../../edge/dispatch/test-seed';
import type { EventPublisher } from '../../edge/pipeline';
import { useTestApi } from '../test-support';

/**
 * Cancelling a run is the run leaving its workflow: partners following runs through the event
 * log (subscriptions, webhooks) must see it end, as they see a run the dispatcher ends.
 */

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
