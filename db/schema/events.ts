import { bigint, customType, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from './tenancy';

/**
 * One event of the partner event log as `event_batches.events` holds it: the composite type
 * `batched_event` (migration `…_event_batches`), the columns an event row had without the ones
 * its batch holds once (`workspace_id`, `cursor`, `occurred_at`). A composite array rather than
 * a JSON array: appending copies each event's `data` into the array as it is, where building a
 * JSON array re-encoded every event (2.5× the backend CPU of the per-row inserts it replaces,
 * measured on 100 delivery events). Readers get rows (db/event-log.ts, eventLogRows).
 *
 * These are the fields readers get. The type has more attributes (db/event-log.ts,
 * COMPACT_EVENT_FIELDS; migration `…_compact_events`): the dispatch record's compact events fill
 * them and store a null `data`, which readers get built from them.
 */
export interface BatchedEvent {
  type: string;
  data: Record<string, unknown>;
  workflow_id: string | null;
  run_id: string | null;
  contact_id: string | null;
  channel_id: string | null;
  delivery_id: string | null;
}

// Only SQL reads and writes the column (appendEventsCte, eventLogRows); the driver never maps it.
const batchedEvent = customType<{ data: BatchedEvent; driverData: string }>({
  dataType: () => 'batched_event',
});

/**
 * The partner event log (docs/architecture.md, "Partner events"): the state changes partners
 * watch, appended by the statement that makes the change (db/event-log.ts, appendEventsCte),
 * stored as one row per workspace and appending statement (at most EVENTS_PER_BATCH events):
 * a statement that sends 100 messages writes one row, one index entry and one (compressed)
 * array instead of 100 rows and index entries. The events are `events` in cursor order, `first_cursor` to
 * `last_cursor`; cursors are per workspace, dense and strictly increasing, and commit order
 * equals cursor order (the counter row below stays locked until the appending transaction
 * ends). Readers expand the batches they need (db/event-log.ts, eventLogRows).
 */
export const eventBatches = pgTable(
  'event_batches',
  {
    // No foreign key (a check per appended row): every row is appended next to its workspace's
    // `event_counters` row, which references the workspace, and a workspace's deletion removes
    // its events through a trigger (migrations `…_dispatch_write_cost_storage` and
    // `…_event_batches`).
    workspaceId: uuid('workspace_id').notNull(),
    firstCursor: bigint('first_cursor', { mode: 'number' }).notNull(),
    lastCursor: bigint('last_cursor', { mode: 'number' }).notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    events: batchedEvent('events').array().notNull(),
  },
  // "Events after cursor N" are in the batches whose last cursor is past N, in key order
  // (replay, fan-out, webhooks); webhook replay "since a time" reads webhook_messages, which
  // keep the event's time.
  (t) => [primaryKey({ columns: [t.workspaceId, t.lastCursor] })],
);

/** The last cursor handed out per workspace; bumped in the same statement that appends. */
export const eventCounters = pgTable('event_counters', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  lastCursor: bigint('last_cursor', { mode: 'number' }).notNull().default(0),
});
