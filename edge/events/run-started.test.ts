import { describe, expect, it } from 'vitest';
import { useTestApi } from '../../api/test-support';
import { readEventsAfter } from '../../db/event-log';
import type { DispatchRequest } from '../dispatch/message';
import { publishWorkflow, seedContact, sendConfig } from '../dispatch/test-seed';
import { startChunk } from '../segments/chunk';
import type { SegmentChunkMessage } from '../segments/message';
import { type LoggedEvent, loggedEventFromRow } from './types';

/**
 * A start logs one `run.started` event per run and returns only its cursor and time; the events
 * the isolate builds from that and publishes are exactly the ones the log holds, for a
 * `startWorkflow` call and for a segment start's chunk alike.
 */

const published: LoggedEvent[] = [];
const enqueued: DispatchRequest[] = [];
const chunks: SegmentChunkMessage[] = [];
const api = useTestApi({
  dispatch: { send: async (requests) => void enqueued.push(...requests) },
  segments: { send: async (message) => void chunks.push(message) },
  events: { publish: async (events) => void published.push(...events) },
});

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) {
      __typename
      ... on MutationStartWorkflowSuccess { data { runs { id contactId } } }
    }
  }
`;

const START_SEGMENT = /* GraphQL */ `
  mutation ($input: StartWorkflowForSegmentInput!) {
    startWorkflowForSegment(input: $input) { __typename }
  }
`;

async function workspaceWithContacts(count: number) {
  const workspace = await api.createWorkspace();
  const workflow = await publishWorkflow(api.db, workspace.workspaceId, [
    { key: 'hello', type: 'send_message', config: sendConfig() },
  ]);
  const contactIds: string[] = [];
  for (let i = 0; i < count; i++) {
    contactIds.push(await seedContact(api.db, workspace.workspaceId, { firstName: `C${i}` }));
  }
  return { ...workspace, ...workflow, contactIds };
}

async function logged(workspaceId: string): Promise<LoggedEvent[]> {
  return (await readEventsAfter(api.db, workspaceId, 0, 100)).map(loggedEventFromRow);
}

describe('run.started events', () => {
  it('startWorkflow publishes each run.started event as the log holds it, in contact order', async () => {
    const { workspaceId, apiKey, workflowId, stepIds, contactIds } = await workspaceWithContacts(3);
    published.length = 0;
    const result = await api.gql(apiKey, START, { input: { workflowId, contactIds } });
    const runs: { id: string; contactId: string }[] = result.data.startWorkflow.data.runs;

    const inLog = await logged(workspaceId);
    expect(inLog.map((event) => event.cursor)).toEqual([1, 2, 3]);
    expect(published).toEqual(inLog);
    expect(published.map((event) => event.refs.contactId)).toEqual(contactIds);
    expect(published.map((event) => event.event.data)).toEqual(
      runs.map((run) => ({
        run: {
          id: run.id,
          workflowId,
          contactId: run.contactId,
          status: 'active',
          stepId: stepIds.hello,
          visit: 1,
          fromStepId: null,
          exitReason: null,
        },
      })),
    );
    expect(enqueued.slice(-3).map((request) => request.runId)).toEqual(runs.map((run) => run.id));
  });

  it("a segment chunk publishes its runs' events as the log holds them, after the workspace's earlier ones", async () => {
    const { workspaceId, apiKey, workflowId, contactIds } = await workspaceWithContacts(4);
    // Two events already in the log: the chunk's cursors follow them.
    await api.gql(apiKey, START, { input: { workflowId, contactIds: contactIds.slice(0, 2) } });
    chunks.length = 0;
    const segment = await api.gql(apiKey, START_SEGMENT, { input: { workflowId, filter: {} } });
    expect(segment.data.startWorkflowForSegment.__typename).toBe(
      'MutationStartWorkflowForSegmentSuccess',
    );
    published.length = 0;
    const outcome = await startChunk(chunks[0]!, {
      db: api.db,
      dispatch: { send: async () => {} },
      segments: { send: async () => {} },
      events: { publish: async (events) => void published.push(...events) },
    });
    expect(outcome).toMatchObject({ kind: 'started', runs: 4, status: 'completed' });

    const chunkEvents = (await logged(workspaceId)).slice(2);
    expect(chunkEvents.map((event) => event.cursor)).toEqual([3, 4, 5, 6]);
    expect([...published].sort((a, b) => a.cursor - b.cursor)).toEqual(chunkEvents);
    expect(new Set(published.map((event) => event.refs.contactId))).toEqual(new Set(contactIds));
  });
});
