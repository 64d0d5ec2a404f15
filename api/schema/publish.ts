import { isUuid } from '../../workflow/ids';
import type { GraphStep, PublishIssue, PublishReport } from '../../workflow/types';
import { VALIDATION_CODES, type ValidationCode } from '../../workflow/validation-issue';
import { builder } from '../builder';
import { refreshWorkflowTemplates } from '../channel-connection';
import { NotFoundError } from '../errors';
import { type Published, PublishRejectedError, publishWorkflow } from '../workflows/publish';
import { ErrorInterface, ValidationCodeEnum } from './error';
import { StepConfigRef } from './send-message-config';
import { StepTypeEnum } from './step';

/** Publishing: the report, the immutable versions it freezes, and the mutation itself. */

const PublishIssueRef = builder.objectRef<PublishIssue>('PublishIssue').implement({
  fields: (t) => ({
    code: t.field({
      type: ValidationCodeEnum,
      resolve: (issue) =>
        VALIDATION_CODES.includes(issue.code as ValidationCode)
          ? (issue.code as ValidationCode)
          : 'INVALID_VALUE',
    }),
    message: t.exposeString('message'),
    stepId: t.id({ nullable: true, resolve: (issue) => issue.stepId ?? null }),
    path: t.string({
      nullable: true,
      description: "Where in the step's config (or the graph) the issue is.",
      resolve: (issue) => issue.path ?? null,
    }),
  }),
});

const PublishReportRef = builder.objectRef<PublishReport>('PublishReport').implement({
  description: 'Errors block a publish; warnings (such as unknown variables) do not.',
  fields: (t) => ({
    errors: t.field({ type: [PublishIssueRef], resolve: (report) => report.errors }),
    warnings: t.field({ type: [PublishIssueRef], resolve: (report) => report.warnings }),
  }),
});

builder.objectType(PublishRejectedError, {
  name: 'PublishRejected',
  description: 'The draft has errors and was not published; nothing was written.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    report: t.field({ type: PublishReportRef, resolve: (error) => error.report }),
  }),
});

const PublishedStepRef = builder.objectRef<GraphStep>('PublishedStep').implement({
  description: 'A step as frozen into a published version.',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.field({ type: StepTypeEnum, resolve: (step) => step.type }),
    name: t.string({ nullable: true, resolve: (step) => step.name ?? null }),
    nextStepId: t.exposeID('nextStepId', { nullable: true }),
    failureStepId: t.exposeID('failureStepId', { nullable: true }),
    config: t.field({ type: StepConfigRef, resolve: (step) => step.config }),
  }),
});

export const WorkflowVersionRef = builder.drizzleObject('workflowVersions', {
  name: 'WorkflowVersion',
  description: 'An immutable published snapshot of a workflow; runs pin one.',
  fields: (t) => ({
    id: t.exposeID('id'),
    version: t.exposeInt('version'),
    publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
    report: t.field({ type: PublishReportRef, resolve: (version) => version.report }),
    entryStepId: t.id({ resolve: (version) => version.graph.entryStepId }),
    steps: t.field({ type: [PublishedStepRef], resolve: (version) => version.graph.steps }),
    stepCount: t.int({ resolve: (version) => version.graph.steps.length }),
    graph: t.field({
      type: 'JSON',
      description: 'The frozen graph as stored.',
      resolve: (version) => version.graph,
    }),
    workflow: t.relation('workflow'),
  }),
});

const PublishResultRef = builder.objectRef<Published>('PublishResult').implement({
  fields: (t) => ({
    workflow: t.drizzleField({
      type: 'workflows',
      resolve: (_query, published) => published.workflow,
    }),
    version: t.drizzleField({
      type: 'workflowVersions',
      resolve: (_query, published) => published.version,
    }),
    report: t.field({
      type: PublishReportRef,
      description: 'Only warnings: a report with errors is a PublishRejected.',
      resolve: (published) => published.report,
    }),
  }),
});

builder.queryFields((t) => ({
  workflowVersion: t.drizzleField({
    type: 'workflowVersions',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      isUuid(id)
        ? ctx.db.query.workflowVersions.findFirst(
            query({ where: { id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

builder.mutationFields((t) => ({
  publishWorkflow: t.field({
    type: PublishResultRef,
    description:
      'Validates the whole draft graph and freezes it into a new immutable version that becomes the published one.',
    errors: { types: [PublishRejectedError, NotFoundError] },
    args: { workflowId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await refreshWorkflowTemplates(ctx, String(args.workflowId));
      return publishWorkflow(ctx.db, ctx.workspaceId, String(args.workflowId));
    },
  }),
}));
