import { and, eq, ilike, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm';
import { workflows } from '../../db/schema';
import { workflowRunsLockKey } from '../../db/start-runs';
import { isUuid } from '../../workflow/ids';
import type { WorkflowGraph } from '../../workflow/types';
import { builder } from '../builder';
import { NotFoundError, ValidationError } from '../errors';
import { API_EXIT_REASONS, deleteEndingRuns } from '../runs/exit';
import { IssueList, requiredName } from '../validation';
import { DRAFT_STEP_ORDER, draftGraph, sameGraph } from '../workflows/draft-graph';
import {
  CREATION_CURSOR,
  checkConnectionArgs,
  creationOrder,
  likePattern,
  settleCursorBounds,
} from './pagination';
import { StepRef } from './step';

/** Workflows: their draft steps, published versions, and the queries and mutations for them. */

const MAX_DESCRIPTION_LENGTH = 2000;

export const WorkflowStatusEnum = builder.enumType('WorkflowStatus', {
  values: {
    DRAFT: { value: 'draft', description: 'Never published.' },
    PUBLISHED: { value: 'published', description: 'Has a published version runs can start on.' },
  } as const,
});

export const WorkflowRef = builder.drizzleObject('workflows', {
  name: 'Workflow',
  // Column fields read the row directly: with no type `select`, a loaded workflow has every
  // column, and an `expose` or a field `select` would only add a per-row plan lookup.
  fields: (t) => ({
    id: t.id({ resolve: (workflow) => workflow.id }),
    name: t.string({ resolve: (workflow) => workflow.name }),
    description: t.string({ nullable: true, resolve: (workflow) => workflow.description }),
    createdAt: t.field({ type: 'DateTime', resolve: (workflow) => workflow.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (workflow) => workflow.updatedAt }),
    steps: t.relation('steps', {
      type: StepRef,
      description: 'The draft steps in editor order.',
      query: { orderBy: DRAFT_STEP_ORDER },
    }),
    stepCount: t.relatedCount('steps'),
    entryStep: t.relation('entryStep', {
      type: StepRef,
      nullable: true,
      description: 'The draft step a run starts at. The first step added becomes it.',
    }),
    status: t.field({
      type: WorkflowStatusEnum,
      resolve: (workflow) => (workflow.publishedVersionId ? 'published' : 'draft'),
    }),
    hasUnpublishedChanges: t.boolean({
      description: 'True when the draft differs from the published version (or none exists).',
      select: {
        columns: { entryStepId: true },
        with: {
          steps: { orderBy: DRAFT_STEP_ORDER },
          publishedVersion: { columns: { graph: true } },
        },
      },
      resolve: (workflow) => {
        const published = workflow.publishedVersion?.graph as WorkflowGraph | undefined;
        if (!published) return true;
        return !sameGraph(draftGraph(workflow.entryStepId, workflow.steps), published);
      },
    }),
    publishedVersion: t.relation('publishedVersion', { nullable: true }),
    versions: t.relation('versions', {
      description: 'Every published version, newest first.',
      query: { orderBy: { version: 'desc' } },
    }),
  }),
});

const WorkflowFilter = builder.inputType('WorkflowFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Matches name or description, ignoring case.' }),
    status: t.field({ type: WorkflowStatusEnum }),
  }),
});

interface WorkflowFilterValue {
  search?: string | null;
  status?: 'draft' | 'published' | null;
}

/**
 * The rows the `workflows` connection selects: the page's `where` and, past a cursor,
 * settleCursorBounds's count of the rows beyond it.
 */
function filterSql(
  table: typeof workflows,
  workspaceId: string,
  filter: WorkflowFilterValue | null | undefined,
): SQL {
  const pattern = filter?.search ? likePattern(filter.search) : null;
  return and(
    eq(table.workspaceId, workspaceId),
    pattern ? or(ilike(table.name, pattern), ilike(table.description, pattern)) : undefined,
    filter?.status
      ? filter.status === 'draft'
        ? isNull(table.publishedVersionId)
        : isNotNull(table.publishedVersionId)
      : undefined,
  )!;
}

builder.queryFields((t) => ({
  workflows: t.drizzleConnection({
    type: 'workflows',
    description: "The workspace's workflows, oldest first.",
    args: { filter: t.arg({ type: WorkflowFilter }) },
    resolve: async (query, _root, args, ctx) => {
      checkConnectionArgs(args, CREATION_CURSOR);
      const { filter } = args;
      const [rows] = await Promise.all([
        ctx.db.query.workflows.findMany(
          query({
            ...creationOrder(),
            where: { RAW: (table) => filterSql(table, ctx.workspaceId, filter) },
          }),
        ),
        // No statement without a cursor (settleCursorBounds returns at once).
        settleCursorBounds(
          ctx.db,
          args,
          workflows,
          filterSql(workflows, ctx.workspaceId, filter),
          'asc',
        ),
      ]);
      return rows;
    },
  }),
  workflow: t.drizzleField({
    type: 'workflows',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      isUuid(id)
        ? ctx.db.query.workflows.findFirst(query({ where: { id, workspaceId: ctx.workspaceId } }))
        : null,
  }),
}));

const CreateWorkflowInput = builder.inputType('CreateWorkflowInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
  }),
});

const UpdateWorkflowInput = builder.inputType('UpdateWorkflowInput', {
  description: 'Omitted fields stay as they are; a null description clears it.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
  }),
});

function description(issues: IssueList, value: string | null | undefined): string | null {
  const trimmed = value?.trim() || null;
  if (trimmed && trimmed.length > MAX_DESCRIPTION_LENGTH) {
    issues.add(
      'INVALID_VALUE',
      'description',
      `Must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  }
  return trimmed;
}

builder.mutationFields((t) => ({
  createWorkflow: t.drizzleField({
    type: 'workflows',
    description: 'Creates an empty draft workflow.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateWorkflowInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      const values = {
        workspaceId: ctx.workspaceId,
        name: requiredName(issues, 'name', input.name),
        description: description(issues, input.description),
      };
      issues.throwIfAny();
      const [workflow] = await ctx.db.insert(workflows).values(values).returning();
      return workflow!;
    },
  }),
  updateWorkflow: t.drizzleField({
    type: 'workflows',
    description: 'Renames a workflow or changes its description.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: UpdateWorkflowInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const id = String(input.id);
      if (!isUuid(id)) throw new NotFoundError('Workflow', id);
      const issues = new IssueList();
      const changes: { name?: string; description?: string | null } = {};
      if (input.name != null) changes.name = requiredName(issues, 'name', input.name);
      if (input.description !== undefined) {
        changes.description = description(issues, input.description);
      }
      issues.throwIfAny();
      const [workflow] = await ctx.db
        .update(workflows)
        .set({ ...changes, updatedAt: new Date() })
        .where(and(eq(workflows.id, id), eq(workflows.workspaceId, ctx.workspaceId)))
        .returning();
      if (!workflow) throw new NotFoundError('Workflow', id);
      return workflow;
    },
  }),
  deleteWorkflow: t.id({
    description:
      'Deletes a workflow with its steps, versions and runs (its active runs log `run.exited` ' +
      'with `exitReason: "workflow_deleted"` first); returns its id.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      if (!isUuid(id)) throw new NotFoundError('Workflow', id);
      const mine = and(eq(workflows.id, id), eq(workflows.workspaceId, ctx.workspaceId));
      const deleted = await deleteEndingRuns(
        ctx,
        sql`workflow_id = ${id}`,
        API_EXIT_REASONS.workflowDeleted,
        async (db) => (await db.delete(workflows).where(mine).returning({ id: workflows.id }))[0],
        // Runs a start is inserting commit first and are ended with the rest.
        (db) => db.execute(sql`select pg_advisory_xact_lock(${workflowRunsLockKey(id)})`),
      );
      if (!deleted) throw new NotFoundError('Workflow', id);
      return deleted.id;
    },
  }),
}));
