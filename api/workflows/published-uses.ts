import { and, desc, eq, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { runs, segmentStarts, workflows, workflowVersions } from '../../db/schema';
import { contactRunsLockKey } from '../../db/start-runs';
import { isSendMessageStep } from '../../workflow/steps';
import type { SendMessageConfig } from '../../workflow/types';

/** A published Send a Message step that uses something of the library (a file, a snippet). */
export interface PublishedStepUse {
  workflowId: string;
  workflowName: string;
  stepId: string;
  stepName: string | null;
  /** The step's config in the newest such version (not exposed). */
  config: SendMessageConfig;
}

/**
 * The Send a Message steps of the workspace's published workflow versions for which `uses`
 * holds: each workflow's current version, and earlier versions that active runs (or a running
 * segment start) are pinned to, since those runs send their version's steps. One query: the
 * versions whose graph mentions `mention` at all (as it is written in a graph), then each
 * step's config read by `uses`, as dispatch reads it; a step named by several versions is
 * listed once, under its newest name.
 *
 * Called in the transaction that then deletes or changes what is mentioned (a file, a snippet's
 * name), after locking its row: when any version of the workspace mentions it, the starts under
 * way are waited for first (`awaitStartsMentioning`), so that runs they commit on an earlier
 * version are seen here.
 */
export async function publishedStepsUsing(
  db: Pick<Database, 'select' | 'execute'>,
  workspaceId: string,
  mention: string,
  uses: (config: SendMessageConfig) => boolean,
): Promise<PublishedStepUse[]> {
  await awaitStartsMentioning(db, workspaceId, mention);
  const rows = await db
    .select({
      workflowId: workflows.id,
      workflowName: workflows.name,
      graph: workflowVersions.graph,
    })
    .from(workflowVersions)
    .innerJoin(workflows, eq(workflows.id, workflowVersions.workflowId))
    .where(
      and(
        eq(workflowVersions.workspaceId, workspaceId),
        sql`strpos(${workflowVersions.graph}::text, ${mention}) > 0`,
        or(
          eq(workflows.publishedVersionId, workflowVersions.id),
          sql`exists (select 1 from ${runs} where ${runs.workflowId} = ${workflowVersions.workflowId}
            and ${runs.versionId} = ${workflowVersions.id} and ${runs.status} = 'active')`,
          sql`exists (select 1 from ${segmentStarts}
            where ${segmentStarts.workflowId} = ${workflowVersions.workflowId}
            and ${segmentStarts.versionId} = ${workflowVersions.id}
            and ${segmentStarts.status} = 'running')`,
        ),
      ),
    )
    .orderBy(desc(workflowVersions.version));
  const found = new Map<string, PublishedStepUse>();
  for (const row of rows) {
    for (const step of row.graph.steps) {
      const key = `${row.workflowId}:${step.id}`;
      if (found.has(key) || !isSendMessageStep(step) || !uses(step.config)) continue;
      found.set(key, {
        workflowId: row.workflowId,
        workflowName: row.workflowName,
        stepId: step.id,
        stepName: step.name ?? null,
        config: step.config,
      });
    }
  }
  return [...found.values()];
}

/** The steps as an error message names them: `"Welcome" in "Onboarding", …`. */
export function namedSteps(steps: readonly PublishedStepUse[]): string {
  return steps
    .map((step) => `"${step.stepName ?? step.stepId}" in "${step.workflowName}"`)
    .join(', ');
}

/**
 * Waits, in the caller's transaction, for the workspace's starts under way when a version of
 * one of its workflows mentions `mention`, and holds new ones until the transaction ends. A
 * start reads the published version before it inserts its runs; if a publish without the file
 * or snippet commits in between, the version it pinned is no longer current and has no runs
 * yet, so the check would pass and the runs, committed after the delete, would fail
 * UNKNOWN_FILE (or send the literal `$snippet.<name>`) when they send. startWorkflow and
 * startWorkflowForSegment take the workspace's `contactRunsLockKey` shared and, holding it,
 * confirm that their version is still the published one (`stillPublished`, api/runs/start.ts);
 * a segment's chunks take it too, on a version its running start already holds. Taken here
 * exclusively (as deleteContact does), a start either committed its runs (or its running
 * segment start) before the check reads them, or reads the version published now. Only when
 * some version mentions it at all: a file or snippet that no version ever used (most deletes)
 * cannot be pinned by a start, and waits for none.
 */
async function awaitStartsMentioning(
  db: Pick<Database, 'execute'>,
  workspaceId: string,
  mention: string,
): Promise<void> {
  await db.execute(
    sql`select pg_advisory_xact_lock(${contactRunsLockKey(workspaceId)})
        where exists (select 1 from ${workflowVersions}
          where ${workflowVersions.workspaceId} = ${workspaceId}
            and strpos(${workflowVersions.graph}::text, ${mention}) > 0)`,
  );
}
