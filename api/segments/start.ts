import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { type ContactFilter, contactFilterSql } from '../../db/contact-filter';
import { queryRows } from '../../db/rows';
import { segmentStarts } from '../../db/schema';
import { startingRunsLock } from '../../db/start-runs';
import { log } from '../../edge/log';
import type { ApiContext } from '../context';
import { sqlState } from '../db-errors';
import { NotFoundError } from '../errors';
import { startableVersion, stillPublished } from '../runs/start';
import { parseTriggerVariables } from '../runs/trigger-variables';
import { IssueList } from '../validation';
import { type ContactFilterInput, parseContactFilter } from './filter-input';

/** SQLSTATE foreign_key_violation. */
const FOREIGN_KEY_VIOLATION = '23503';

export interface StartSegmentInput {
  workflowId: string;
  filter: ContactFilterInput;
  variables?: unknown;
}

/** The contacts of the caller's workspace that `filter` matches now. */
async function countMatches(ctx: ApiContext, filter: ContactFilter): Promise<number> {
  const [row] = await queryRows<{ total: number }>(
    ctx.db,
    sql`select count(*)::int as total from contacts c
        where c.workspace_id = ${ctx.workspaceId}::uuid and ${contactFilterSql(filter)}`,
  );
  return row?.total ?? 0;
}

/**
 * Starts a published workflow for every contact of the caller's workspace that `filter`
 * matches, without holding the request for it: the filter and the version are checked, the
 * matches counted and a segment start recorded (status `running`), and its first chunk is
 * sent to the segments queue; the chunks then start the runs (edge/segments/chunk.ts).
 * Nothing is written when anything is wrong. A start that matches nobody is `completed` at
 * once. If the first chunk cannot be sent, the segment sweep sends it later.
 */
export async function startSegment(ctx: ApiContext, input: StartSegmentInput) {
  const issues = new IssueList();
  const { workflowId, version } = await startableVersion(ctx, input.workflowId, issues);
  const filter = parseContactFilter(input.filter, issues);
  const variables = parseTriggerVariables(input.variables, issues);
  issues.throwIfAny();

  const total = await countMatches(ctx, filter);
  let start: typeof segmentStarts.$inferSelect | undefined;
  try {
    const recorded = await ctx.db.transaction(async (tx) => {
      const db = tx as unknown as Database;
      // A running segment start holds its version's files and snippets as its runs will
      // (api/workflows/published-uses.ts): recorded under the start locks, and only while the
      // version read above is still the published one, as startWorkflow pins its runs.
      await db.execute(startingRunsLock(ctx.workspaceId, workflowId));
      if (!(await stillPublished(db, workflowId, version!.id))) return null;
      const [row] = await tx
        .insert(segmentStarts)
        .values({
          workspaceId: ctx.workspaceId,
          workflowId,
          versionId: version!.id,
          filter,
          triggerVariables: variables,
          total,
          ...(total === 0 ? { status: 'completed' as const, endedAt: new Date() } : {}),
        })
        .returning();
      return row;
    });
    // Published again since it was read (nothing was written): begin again with that version.
    if (recorded === null) return startSegment(ctx, input);
    start = recorded;
  } catch (error) {
    // The workflow (and its versions) was deleted after it was found: the insert wrote nothing.
    if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw new NotFoundError('Workflow', workflowId);
    throw error;
  }
  if (!start) throw new Error('segment start was not recorded');
  if (start.status === 'running') {
    try {
      if (!ctx.segments) throw new Error('no segments queue is bound');
      await ctx.segments.send({ segmentStartId: start.id, after: null });
    } catch (error) {
      log('error', 'startWorkflowForSegment: sending the first chunk failed; the sweep will', {
        workspaceId: ctx.workspaceId,
        segmentStartId: start.id,
        error,
      });
    }
  }
  return start;
}
