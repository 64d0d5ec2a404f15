import { asc, eq, max, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { steps, workflows, workflowVersions } from '../../db/schema';
import { buildPublishReport } from '../../workflow/publish';
import { isSendMessageStep } from '../../workflow/steps';
import type { PublishReport } from '../../workflow/types';
import { draftGraph } from './draft-graph';
import { loadKnownCustomFields, loadStepLookups } from './lookups';
import { lockWorkflow, type WorkflowRow } from './step-writes';

/** Publishing found errors in the draft; nothing was written. */
export class PublishRejectedError extends Error {
  constructor(readonly report: PublishReport) {
    super(
      `The workflow cannot be published: ${report.errors.map((issue) => issue.message).join('; ')}`,
    );
    this.name = 'PublishRejectedError';
  }
}

export type WorkflowVersionRow = typeof workflowVersions.$inferSelect;

export interface Published {
  workflow: WorkflowRow;
  version: WorkflowVersionRow;
  report: PublishReport;
}

/**
 * Checks the workflow's draft graph and, when it has no errors, freezes it into a new immutable
 * version (numbered one past the last) that becomes the published one. Runs started later pin
 * that version; editing the draft afterwards never changes it. Throws PublishRejectedError
 * (writing nothing) when the report has errors.
 */
export function publishWorkflow(
  db: Database,
  workspaceId: string,
  workflowId: string,
): Promise<Published> {
  return db.transaction(async (tx) => {
    // Step writes lock the same row, so the graph read below is the whole committed draft.
    const workflow = await lockWorkflow(tx, workspaceId, workflowId);
    const rows = await tx
      .select()
      .from(steps)
      .where(eq(steps.workflowId, workflow.id))
      .orderBy(asc(steps.position), asc(steps.createdAt), asc(steps.id));
    const graph = draftGraph(workflow.entryStepId, rows);
    const configs = graph.steps.filter(isSendMessageStep).map((step) => step.config);
    // In turn: a transaction is one connection, where concurrent statements only queue.
    const lookups = await loadStepLookups(tx, workspaceId, configs);
    const knownCustomFields = await loadKnownCustomFields(tx, workspaceId);
    const report = buildPublishReport(graph, lookups, knownCustomFields);
    if (report.errors.length > 0) throw new PublishRejectedError(report);

    const [latest] = await tx
      .select({ version: max(workflowVersions.version) })
      .from(workflowVersions)
      .where(eq(workflowVersions.workflowId, workflow.id));
    const [version] = await tx
      .insert(workflowVersions)
      .values({
        workspaceId,
        workflowId: workflow.id,
        version: (latest?.version ?? 0) + 1,
        graph,
        report,
        // The time of this write (see touchWorkflow): edits committed before it are included.
        publishedAt: sql`clock_timestamp()`,
      })
      .returning();
    const [published] = await tx
      .update(workflows)
      .set({ publishedVersionId: version!.id })
      .where(eq(workflows.id, workflow.id))
      .returning();
    return { workflow: published!, version: version!, report };
  });
}
