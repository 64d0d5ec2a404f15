import {
  type AnyPgColumn,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { PublishReport, StepType, WorkflowGraph } from '../../workflow/types';
import { workspaces } from './tenancy';

/** A workflow: its draft steps live in `steps`; each publish freezes a `workflow_versions` row. */
export const workflows = pgTable(
  'workflows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    /** The draft's first step. */
    entryStepId: uuid('entry_step_id'),
    publishedVersionId: uuid('published_version_id').references(
      (): AnyPgColumn => workflowVersions.id,
      { onDelete: 'set null' },
    ),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('workflows_workspace_idx').on(t.workspaceId, t.createdAt)],
);

/** A draft step. `config` holds the typed step config (see workflow/types.ts). */
export const steps = pgTable(
  'steps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    type: text('type').$type<StepType>().notNull(),
    name: text('name'),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    nextStepId: uuid('next_step_id').references((): AnyPgColumn => steps.id, {
      onDelete: 'set null',
    }),
    failureStepId: uuid('failure_step_id').references((): AnyPgColumn => steps.id, {
      onDelete: 'set null',
    }),
    /** Display order in the editor. */
    position: integer('position').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('steps_workflow_idx').on(t.workflowId, t.position)],
);

/** An immutable published snapshot of a workflow's graph. Runs pin one. */
export const workflowVersions = pgTable(
  'workflow_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    graph: jsonb('graph').$type<WorkflowGraph>().notNull(),
    report: jsonb('report').$type<PublishReport>().notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('workflow_versions_workflow_version_uq').on(t.workflowId, t.version)],
);
