import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';
import { NotFoundError, ValidationError } from '../errors';
import { cancelSegmentStart } from '../segments/cancel';
import { startSegment } from '../segments/start';

export const SegmentStartStatusEnum = builder.enumType('SegmentStartStatus', {
  values: {
    RUNNING: { value: 'running', description: 'Chunks are still starting runs.' },
    COMPLETED: { value: 'completed', description: 'Every matching contact has a run.' },
    CANCELLED: { value: 'cancelled', description: 'Stopped by `cancelSegmentStart`.' },
    FAILED: { value: 'failed', description: 'A chunk kept failing; runs started so far go on.' },
  } as const,
});

/** A workflow started for every contact a filter matches, in chunks, with its progress. */
export const SegmentStartRef = builder.drizzleObject('segmentStarts', {
  name: 'SegmentStart',
  fields: (t) => ({
    id: t.exposeID('id'),
    workflowId: t.exposeID('workflowId'),
    versionId: t.exposeID('versionId', {
      description: 'The published version runs are pinned to.',
    }),
    status: t.field({ type: SegmentStartStatusEnum, resolve: (start) => start.status }),
    filter: t.field({
      type: 'JSON',
      description: 'The filter as applied: normalised (countries upper case, tags canonical).',
      resolve: (start) => start.filter,
    }),
    triggerVariables: t.field({ type: 'JSON', resolve: (start) => start.triggerVariables }),
    total: t.exposeInt('total', {
      description:
        'Contacts the filter matched when the start was requested. Contacts created or changed ' +
        'meanwhile may make `started` end below or above it.',
    }),
    started: t.exposeInt('started', { description: 'Runs started so far.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
  }),
});

const CustomFieldConditionInput = builder.inputType('CustomFieldConditionInput', {
  description:
    'A custom field whose value equals, or contains (ignoring case), a text: one of them.',
  fields: (t) => ({
    key: t.string({ required: true }),
    equals: t.string(),
    contains: t.string(),
  }),
});

const ContactFilterInput = builder.inputType('ContactFilterInput', {
  description: 'Contacts of the workspace matching every condition given (none: every contact).',
  fields: (t) => ({
    customFields: t.field({ type: [CustomFieldConditionInput] }),
    countries: t.stringList({
      description: 'ISO 3166-1 alpha-2 codes: the country is one of them.',
    }),
    languages: t.stringList({
      description: 'BCP 47 tags: the language is one of them or a subtag (`en` matches `en-GB`).',
    }),
    createdSince: t.field({ type: 'DateTime', description: 'Created at or after.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Created strictly before.' }),
    hasEmail: t.boolean(),
    hasPhone: t.boolean(),
  }),
});

const StartWorkflowForSegmentInput = builder.inputType('StartWorkflowForSegmentInput', {
  fields: (t) => ({
    workflowId: t.id({ required: true }),
    filter: t.field({ type: ContactFilterInput, required: true }),
    variables: t.field({
      type: 'JSON',
      description: 'Values for `$trigger.<name>` variables: an object of strings.',
    }),
  }),
});

/** Most segment starts `segmentStarts` lists: the newest. */
const SEGMENT_STARTS_LISTED = 100;

builder.queryFields((t) => ({
  segmentStart: t.drizzleField({
    type: 'segmentStarts',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.segmentStarts.findFirst(
            query({ where: { id: args.id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
  segmentStarts: t.drizzleField({
    type: ['segmentStarts'],
    description: `A workflow's segment starts, newest first (the latest ${SEGMENT_STARTS_LISTED}).`,
    args: { workflowId: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.workflowId)
        ? ctx.db.query.segmentStarts.findMany(
            query({
              where: { workflowId: args.workflowId, workspaceId: ctx.workspaceId },
              orderBy: { createdAt: 'desc', id: 'desc' },
              limit: SEGMENT_STARTS_LISTED,
            }),
          )
        : [],
  }),
}));

builder.mutationFields((t) => ({
  startWorkflowForSegment: t.drizzleField({
    type: 'segmentStarts',
    description:
      "Starts the workflow's published version for every contact the filter matches. Returns at " +
      'once: the runs are started in chunks through a queue; follow `started` / `total`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: StartWorkflowForSegmentInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      startSegment(ctx, {
        workflowId: String(input.workflowId),
        filter: input.filter,
        variables: input.variables,
      }),
  }),
  cancelSegmentStart: t.drizzleField({
    type: 'segmentStarts',
    description:
      'Stops a running segment start: no further runs are started. Runs already started keep ' +
      'going (`cancelRun` stops one). An ended start is returned unchanged.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, args, ctx) => cancelSegmentStart(ctx, String(args.id)),
  }),
}));
