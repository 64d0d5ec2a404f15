import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './tenancy';
import { workflows, workflowVersions } from './workflows';

/** What a segment start is doing; `running` until its last chunk, a cancel or a dead letter. */
export type SegmentStartStatus = 'running' | 'completed' | 'cancelled' | 'failed';

/**
 * One start of a workflow for every contact a filter matches (api/segments/, edge/segments/).
 * The filter is resolved in chunks through the segments queue, in contact id order: `cursor` is
 * the last contact id a committed chunk covered, so a chunk message carrying an older cursor
 * (a redelivery) finds nothing left to do.
 */
export const segmentStarts = pgTable(
  'segment_starts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    /** The published version at the start: every chunk starts runs pinned to it. */
    versionId: uuid('version_id')
      .notNull()
      .references(() => workflowVersions.id, { onDelete: 'restrict' }),
    /** The validated contact filter (db/contact-filter.ts, ContactFilter). */
    filter: jsonb('filter').notNull(),
    triggerVariables: jsonb('trigger_variables')
      .$type<Record<string, string>>()
      .notNull()
      .default({}),
    status: text('status').$type<SegmentStartStatus>().notNull().default('running'),
    /** Contacts the filter matched when the start was requested. */
    total: integer('total').notNull(),
    /** Runs the chunks have started so far. */
    started: integer('started').notNull().default(0),
    /** The last contact id a committed chunk covered; null before the first chunk. */
    cursor: uuid('cursor'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Bumped by every chunk: the sweep re-sends the next chunk of a start idle too long. */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    index('segment_starts_workflow_idx').on(t.workflowId, t.createdAt),
    index('segment_starts_running_idx').on(t.updatedAt).where(sql`${t.status} = 'running'`),
  ],
);

/**
 * A `startWorkflow` call made with an idempotency key (api/runs/start.ts): the runs it started,
 * so that the same call sent again (a client retrying after a timeout) answers with them
 * instead of starting every run twice. Kept 24 hours (IDEMPOTENCY_KEY_HOURS): an older key is
 * taken as new, and the workspace's next keyed start deletes the older ones.
 */
export const startRequests = pgTable(
  'start_requests',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    idempotencyKey: text('idempotency_key').notNull(),
    /** SHA-256 of the request (workflow, contacts, variables): a key is for one request. */
    requestHash: text('request_hash').notNull(),
    runIds: uuid('run_ids').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.idempotencyKey] }),
    index('start_requests_created_idx').on(t.createdAt),
  ],
);
