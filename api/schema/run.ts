import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { runs } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { cancelRun } from '../runs/cancel';
import { startWorkflow } from '../runs/start';
import { DeliveryRef } from './delivery';
import { CREATION_CURSOR, checkConnectionArgs, settleCursorBounds } from './pagination';

const RUN_STATUSES = ['active', 'completed', 'exited'] as const;
type RunStatus = (typeof RUN_STATUSES)[number];

export const RunStatusEnum = builder.enumType('RunStatus', {
  values: {
    ACTIVE: { value: 'active', description: 'Moving through the workflow.' },
    COMPLETED: { value: 'completed', description: 'Went past the last step.' },
    EXITED: { value: 'exited', description: 'Left early; `exitReason` says why.' },
  } as const,
});

/** One contact's journey through one published version of a workflow. */
export const RunRef = builder.drizzleObject('runs', {
  name: 'Run',
  fields: (t) => ({
    id: t.exposeID('id'),
    workflowId: t.exposeID('workflowId'),
    workflow: t.relation('workflow'),
    versionId: t.exposeID('versionId', {
      description: 'The published version the run is pinned to.',
    }),
    contactId: t.exposeID('contactId'),
    contact: t.relation('contact'),
    status: t.field({ type: RunStatusEnum, resolve: (run) => run.status }),
    currentStepId: t.exposeID('currentStepId', {
      nullable: true,
      description: 'The step the run is at, or ended at.',
    }),
    stepVisit: t.exposeInt('stepVisit', {
      description: 'Step executions so far (1 at the entry step).',
    }),
    exitReason: t.exposeString('exitReason', {
      nullable: true,
      description:
        'Why the run exited: a failure reason code (e.g. `no_associated_channel`), `cancelled`, ' +
        'or `contact_deleted` / `workflow_deleted` (in its `run.exited` event: the run is deleted ' +
        'with them).',
    }),
    triggerVariables: t.field({
      type: 'JSON',
      description: 'The `$trigger.*` values the run was started with.',
      resolve: (run) => run.triggerVariables,
    }),
    dueAt: t.expose('dueAt', { type: 'DateTime', description: 'When the current step may run.' }),
    sendingUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        "While the dispatcher sends the current step's message: when its claim on it ends (renewed " +
        'while the provider is called; a claim left to expire means the sender died, and the ' +
        "message is sent again under the same delivery id). The delivery appears in `deliveries` once the attempt's outcome is recorded.",
      // A claim that ran out is not a send in flight. One on a run cancelled mid-send is: the
      // send goes ahead and its delivery is recorded (cancelRun), so a client must not read
      // "nothing went out" from a cancelled run until the claim is released.
      resolve: (run) =>
        run.leaseUntil && run.leaseUntil.getTime() > Date.now() ? run.leaseUntil : null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    deliveries: t.relation('deliveries', {
      type: DeliveryRef,
      description: 'The messages the run produced, oldest first.',
      query: { orderBy: { createdAt: 'asc', id: 'asc' } },
    }),
  }),
});

const RunFilter = builder.inputType('RunFilter', {
  fields: (t) => ({
    workflowId: t.id(),
    contactId: t.id(),
    status: t.field({ type: RunStatusEnum }),
  }),
});

interface RunFilterValue {
  workflowId?: string | number | null;
  contactId?: string | number | null;
  status?: RunStatus | null;
}

/** A filter id that is not a UUID matches nothing (rather than failing the query's cast). */
const NO_MATCH = '00000000-0000-0000-0000-000000000000';
const filterId = (id: string | number) => (isUuid(id) ? id : NO_MATCH);

/** The runs the `runs` connection selects: its page, its count and the rows past a cursor. */
function filterSql(
  table: typeof runs,
  ctx: ApiContext,
  filter: RunFilterValue | null | undefined,
): SQL {
  return and(
    eq(table.workspaceId, ctx.workspaceId),
    filter?.workflowId != null ? eq(table.workflowId, filterId(filter.workflowId)) : undefined,
    filter?.contactId != null ? eq(table.contactId, filterId(filter.contactId)) : undefined,
    filter?.status ? eq(table.status, filter.status) : undefined,
  )!;
}

/**
 * Newest first, with exact cursors: ordering by the microsecond text of `created_at` (a JS
 * Date would round it; see api/schema/pagination.ts), ties broken by id.
 */
function newestFirst() {
  return {
    extras: {
      createdAtCursor: (table: { createdAt: AnyPgColumn }) =>
        sql<string>`to_char(${table.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
    },
    orderBy: { createdAtCursor: 'desc', id: 'desc' },
  } as const;
}

builder.queryFields((t) => ({
  runs: t.drizzleConnection({
    type: 'runs',
    description: "The workspace's runs, newest first.",
    args: { filter: t.arg({ type: RunFilter }) },
    totalCount: (_root, args, ctx) => ctx.db.$count(runs, filterSql(runs, ctx, args.filter)),
    resolve: async (query, _root, args, ctx) => {
      checkConnectionArgs(args, CREATION_CURSOR);
      const [rows] = await Promise.all([
        ctx.db.query.runs.findMany(
          query({
            where: { RAW: (table) => filterSql(table, ctx, args.filter) },
            ...newestFirst(),
          }),
        ),
        settleCursorBounds(ctx.db, args, runs, filterSql(runs, ctx, args.filter), 'desc'),
      ]);
      return rows;
    },
  }),
  run: t.drizzleField({
    type: 'runs',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.runs.findFirst(
            query({ where: { id: args.id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

const StartWorkflowInput = builder.inputType('StartWorkflowInput', {
  fields: (t) => ({
    workflowId: t.id({ required: true }),
    contactIds: t.idList({
      required: true,
      description: 'Contacts of this workspace (at most 10,000).',
    }),
    variables: t.field({
      type: 'JSON',
      description: 'Values for `$trigger.<name>` variables: an object of strings.',
    }),
    idempotencyKey: t.string({
      description:
        'Makes the call safe to retry (1–255 printable ASCII characters without spaces, e.g. a ' +
        'UUID): for 24 ' +
        'hours, the same key with the same input answers with the runs the first call started ' +
        'instead of starting them again; with another input it is refused (INVALID_VALUE).',
    }),
  }),
});

const StartWorkflowPayload = builder
  .objectRef<{ runIds: string[] }>('StartWorkflowPayload')
  .implement({
    description: 'The runs started, one per contact, in the order the contacts were given.',
    fields: (t) => ({
      runCount: t.int({ resolve: (payload) => payload.runIds.length }),
      runs: t.drizzleField({
        type: ['runs'],
        resolve: async (query, payload, _args, ctx) => {
          const rows = await ctx.db.query.runs.findMany(
            query({ where: { id: { in: payload.runIds }, workspaceId: ctx.workspaceId } }),
          );
          const position = new Map(payload.runIds.map((id, index) => [id, index]));
          const at = (row: unknown) => position.get((row as { id: string }).id) ?? 0;
          return rows.sort((a, b) => at(a) - at(b));
        },
      }),
    }),
  });

builder.mutationFields((t) => ({
  startWorkflow: t.field({
    type: StartWorkflowPayload,
    description:
      "Starts the workflow's published version for each contact. Runs are committed, then " +
      'enqueued for dispatch; nothing is written when any input is rejected.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: StartWorkflowInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      startWorkflow(ctx, {
        workflowId: String(input.workflowId),
        contactIds: input.contactIds.map(String),
        variables: input.variables,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
  cancelRun: t.drizzleField({
    type: 'runs',
    description:
      'Makes an active run exit with reason `cancelled`; an ended run is returned unchanged.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await cancelRun(ctx, String(args.id));
      const run = await ctx.db.query.runs.findFirst(
        query({ where: { id, workspaceId: ctx.workspaceId } }),
      );
      if (!run) throw new NotFoundError('Run', id);
      return run;
    },
  }),
}));
