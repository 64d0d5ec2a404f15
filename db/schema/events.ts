import { bigint, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from './tenancy';

/**
 * The partner event log (docs/architecture.md, "Partner events"): one row per state change partners
 * watch, appended by the statement that makes the change (db/event-log.ts, appendEventsCte). `cursor` is
 * per workspace, dense and strictly increasing, and commit order equals cursor order (the
 * counter row below stays locked until the appending transaction ends). `data` is the event's
 * versioned JSON (edge/events/types.ts); the id columns serve filters and replay.
 */
export const events = pgTable(
  'events',
  {
    // No foreign key (a check per appended row): every row is appended next to its workspace's
    // `event_counters` row, which references the workspace, and a workspace's deletion removes
    // its events through a trigger (migration `…_dispatch_write_cost_storage`).
    workspaceId: uuid('workspace_id').notNull(),
    cursor: bigint('cursor', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    data: jsonb('data').notNull(),
    workflowId: uuid('workflow_id'),
    runId: uuid('run_id'),
    contactId: uuid('contact_id'),
    channelId: uuid('channel_id'),
    deliveryId: uuid('delivery_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Readers go by cursor (replay, fan-out, webhooks); webhook replay "since a time" reads
  // webhook_messages, which keep the event's time.
  (t) => [primaryKey({ columns: [t.workspaceId, t.cursor] })],
);

/** The last cursor handed out per workspace; bumped in the same statement that appends. */
export const eventCounters = pgTable('event_counters', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  lastCursor: bigint('last_cursor', { mode: 'number' }).notNull().default(0),
});
