import { and, desc, eq, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { runs, segmentStarts, workflows, workflowVersions } from '../../db/schema';
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
 */
export async function publishedStepsUsing(
  db: Pick<Database, 'select'>,
  workspaceId: string,
  mention: string,
  uses: (config: SendMessageConfig) => boolean,
): Promise<PublishedStepUse[]> {
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
