import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runs, segmentStarts, workflows, workflowVersions } from '../../db/schema';
import { contactRunsLockKey } from '../../db/start-runs';
import { publishWorkflow, seedContact, sendConfig } from '../../edge/dispatch/test-seed';
import { useTestApi } from '../test-support';
import { duringDelete, type Transaction } from '../workflows/test-fixtures';

/**
 * A start reads the published version before it takes the start locks (db/start-runs.ts); a
 * publish that commits in between makes that version an earlier one without runs, whose files
 * and snippets a delete holding the workspace's lock may then let go of
 * (api/workflows/published-uses.ts). Holding its locks, a start pins what is published then.
 */

const api = useTestApi({
  dispatch: { send: async () => undefined },
  segments: { send: async () => undefined },
});

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) { __typename }
  }
`;

const START_SEGMENT = /* GraphQL */ `
  mutation ($input: StartWorkflowForSegmentInput!) {
    startWorkflowForSegment(input: $input) {
      __typename
      ... on MutationStartWorkflowForSegmentSuccess { data { id } }
    }
  }
`;

/**
 * A published workflow (version 1) with a contact, and a version 2 of it not yet published,
 * as a publish has written it before its commit.
 */
async function aboutToBePublishedAgain() {
  const { workspaceId, apiKey } = await api.createWorkspace();
  const { workflowId, versionId } = await publishWorkflow(api.db, workspaceId, [
    { key: 'hello', type: 'send_message', config: sendConfig() },
  ]);
  const [version1] = await api.db
    .select()
    .from(workflowVersions)
    .where(eq(workflowVersions.id, versionId));
  const [version2] = await api.db
    .insert(workflowVersions)
    .values({ ...version1!, id: undefined, version: 2 })
    .returning({ id: workflowVersions.id });
  const contactId = await seedContact(api.db, workspaceId);
  return { workspaceId, apiKey, workflowId, contactId, version2: version2!.id };
}

/** The transaction the request meets: a delete's exclusive start lock, then the publish. */
function publishUnderDeleteLock(ids: Awaited<ReturnType<typeof aboutToBePublishedAgain>>) {
  return async (tx: Transaction) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${contactRunsLockKey(ids.workspaceId)})`);
    await tx
      .update(workflows)
      .set({ publishedVersionId: ids.version2 })
      .where(eq(workflows.id, ids.workflowId));
  };
}

describe('a start that read the version a publish then replaced', () => {
  it("startWorkflow pins its runs to the version published when it holds the workspace's lock", async () => {
    const ids = await aboutToBePublishedAgain();
    // The start reads version 1, then waits for the lock (duringDelete fails if it does not);
    // version 2 is published when it gets it.
    const result = await duringDelete(api.db, publishUnderDeleteLock(ids), () =>
      api.gql(ids.apiKey, START, {
        input: { workflowId: ids.workflowId, contactIds: [ids.contactId] },
      }),
    );
    expect(result.data.startWorkflow.__typename).toBe('MutationStartWorkflowSuccess');
    const started = await api.db
      .select({ versionId: runs.versionId })
      .from(runs)
      .where(eq(runs.workflowId, ids.workflowId));
    expect(started).toEqual([{ versionId: ids.version2 }]);
  });

  it('startWorkflowForSegment records the version published when it holds the lock', async () => {
    const ids = await aboutToBePublishedAgain();
    const result = await duringDelete(api.db, publishUnderDeleteLock(ids), () =>
      api.gql(ids.apiKey, START_SEGMENT, {
        input: { workflowId: ids.workflowId, filter: {} },
      }),
    );
    const start = result.data.startWorkflowForSegment;
    expect(start.__typename).toBe('MutationStartWorkflowForSegmentSuccess');
    const [recorded] = await api.db
      .select({ versionId: segmentStarts.versionId, status: segmentStarts.status })
      .from(segmentStarts)
      .where(eq(segmentStarts.id, start.data.id));
    expect(recorded).toEqual({ versionId: ids.version2, status: 'running' });
  });
});
