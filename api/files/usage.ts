import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { workflows, workflowVersions } from '../../db/schema';
import { stepReferences } from '../../workflow/step-references';
import { isSendMessageStep } from '../../workflow/steps';

/** A published step that sends a file. */
export interface FileUse {
  workflowId: string;
  workflowName: string;
  stepId: string;
  stepName: string | null;
}

/**
 * The steps of the workspace's published workflow versions that send `fileId` (as a media
 * message, in a channel response or as an email attachment). One query: the versions whose
 * graph mentions the id at all, then each step's references read exactly as dispatch reads them.
 */
export async function publishedStepsUsing(
  db: Pick<Database, 'select'>,
  workspaceId: string,
  fileId: string,
): Promise<FileUse[]> {
  const rows = await db
    .select({
      workflowId: workflows.id,
      workflowName: workflows.name,
      graph: workflowVersions.graph,
    })
    .from(workflows)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.publishedVersionId))
    .where(
      and(
        eq(workflows.workspaceId, workspaceId),
        isNotNull(workflows.publishedVersionId),
        sql`strpos(${workflowVersions.graph}::text, ${fileId}) > 0`,
      ),
    );
  return rows.flatMap((row) =>
    row.graph.steps.flatMap((step) =>
      isSendMessageStep(step) && stepReferences(step.config).fileIds.includes(fileId)
        ? [
            {
              workflowId: row.workflowId,
              workflowName: row.workflowName,
              stepId: step.id,
              stepName: step.name ?? null,
            },
          ]
        : [],
    ),
  );
}
