import { and, desc, eq, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { runs, segmentStarts, workflows, workflowVersions } from '../../db/schema';
import { stepReferences } from '../../workflow/step-references';
import { isSendMessageStep } from '../../workflow/steps';
import type { SendMessageConfig } from '../../workflow/types';

/** A published step that sends a file. */
export interface FileUse {
  workflowId: string;
  workflowName: string;
  stepId: string;
  stepName: string | null;
  /** The step's config in the newest version that sends the file (not exposed). */
  config: SendMessageConfig;
}

/**
 * The steps of the workspace's published workflow versions that send `fileId` (as a media
 * message, in a channel response or as an email attachment): each workflow's current version,
 * and earlier versions that runs (or a segment start still starting runs) are pinned to, since
 * those runs send their version's steps. One query: the versions whose graph mentions the id at
 * all, then each step's references read exactly as dispatch reads them; a step named by several
 * versions is listed once, under its newest name.
 */
export async function publishedStepsUsing(
  db: Pick<Database, 'select'>,
  workspaceId: string,
  fileId: string,
): Promise<FileUse[]> {
  // Graphs hold ids in lower case (workflow/ids.ts idInput); a client may spell one in upper
  // case, which Postgres matches to the row but strpos would not find in a graph.
  const id = fileId.toLowerCase();
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
        sql`strpos(${workflowVersions.graph}::text, ${id}) > 0`,
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
  const uses = new Map<string, FileUse>();
  for (const row of rows) {
    for (const step of row.graph.steps) {
      const key = `${row.workflowId}:${step.id}`;
      if (uses.has(key) || !isSendMessageStep(step)) continue;
      if (!stepReferences(step.config).fileIds.includes(id)) continue;
      uses.set(key, {
        workflowId: row.workflowId,
        workflowName: row.workflowName,
        stepId: step.id,
        stepName: step.name ?? null,
        config: step.config,
      });
    }
  }
  return [...uses.values()];
}
