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
});
