import { type SQL, sql } from 'drizzle-orm';
import type { Database } from './client';
import { queryRows } from './rows';
import type { BatchedEvent } from './schema/events';

/**
 * The partner event log's SQL (db/schema/events.ts), shared by every statement that appends to it
 * (dispatch's claim and record, status updates, starting runs) and by replay.
 */

/**
 * A logged event as readers get it: one row of the log with the columns an `events` table
 * would have (snake_case), built from an `event_batches` row's columns and one element of its
 * `events` array (eventLogRows), or by appendEventsCte for the events it appends.
 */
export interface EventRow extends BatchedEvent {
  workspace_id: string;
  cursor: number | string;
  occurred_at: string;
}

/**
 * Most events one `event_batches` row holds: appendEventsCte writes one row per workspace and
 * per block of this many cursors it appends into (cursors 1–1000, 1001–2000, …), so a start for
 * 10,000 contacts is ten or eleven rows; the dispatch record, which appends at most this many
 * per statement, writes one row per workspace wherever its cursors fall
 * (appendWorkspaceBatchesCte). A reader expands a whole row to read any part of it: this
 * bounds what a read of a few events costs.
 */
export const EVENTS_PER_BATCH = 1000;

/**
 * The fields a compact event keeps in columns of its own (`batched_event`'s attributes after
 * `delivery_id`, migration `…_compact_events`) instead of in `data`: what the dispatch record's
 * `delivery.*` and `run.*` events hold besides the ids the element's other columns hold. Its
 * `data` is null and readers build it from these (eventColumns, loggedData): building 300 JSON
 * objects per batch of 100 sends cost the record statement about twice what storing columns
 * does.
 */
export const COMPACT_EVENT_FIELDS = [
  'step_id',
  'visit',
  'status',
  'provider_message_id',
  'reason_code',
  'reason_detail',
  'from_step_id',
  'exit_reason',
] as const;

/**
 * `<counters>` as a CTE that bumps each workspace's counter by its number of events: `counted`
 * is a SELECT of `(workspace_id, events)` rows in workspace order (an upsert in that order, so
 * two statements lock counters in the same order and cannot deadlock). The counter row stays
 * locked until commit, so statements appending to one workspace commit in cursor order and a
 * reader that has seen cursor N never later finds an N-1 committed behind it. Yields each
 * workspace's new last cursor.
 */
function bumpCountersCte(counters: SQL, counted: SQL): SQL {
  return sql`${counters} as (
      insert into event_counters as c (workspace_id, last_cursor)
      ${counted}
      on conflict (workspace_id) do update set last_cursor = c.last_cursor + excluded.last_cursor
      returning c.workspace_id, c.last_cursor
    )`;
}

/** One event of `<alias>` as an element of `event_batches.events`, its compact fields or none. */
function batchedEvent(alias: string, compact: boolean): SQL {
  const column = (field: string) => `${alias}.${field}`;
  const fields = [
    ...['type', 'data', 'workflow_id', 'run_id', 'contact_id', 'channel_id', 'delivery_id'].map(
      column,
    ),
    ...COMPACT_EVENT_FIELDS.map((field) => (compact ? column(field) : 'null')),
  ];
  return sql.raw(`row(${fields.join(', ')})::batched_event`);
}

/**
 * CTEs (to put after a comma in a WITH list) that append the rows of CTE `source` to the log
 * in the same statement. `source` must have the columns `workspace_id, seq, type, data,
 * workflow_id, run_id, contact_id, channel_id, delivery_id`; `seq` orders events within the
 * statement. `<name>_counters` bumps each workspace's counter by its number of events
 * (bumpCountersCte). `<name>` yields the appended events, one row per event with EventRow's
 * columns (cursors numbered from the counters, `occurred_at` the batch's `now()`), and
 * `<name>_batches` stores them: one `event_batches` row per workspace (and per block of
 * EVENTS_PER_BATCH cursors), its array in cursor order. A data-modifying CTE runs whether or
 * not the statement reads it.
 */
export function appendEventsCte(source: string, name: string): SQL {
  const counters = sql.raw(`${name}_counters`);
  const from = sql.raw(source);
  const appended = sql.raw(name);
  return sql`${bumpCountersCte(
    counters,
    sql`select workspace_id, count(*) from ${from} group by workspace_id order by workspace_id`,
  )},
    ${appended} as (
      select s.workspace_id::uuid as workspace_id,
             -- Numbered back from the counter's new value, the last event at it: one window
             -- function where counting the events first would take a second.
             k.last_cursor + 1
               - row_number() over (partition by s.workspace_id order by s.seq desc) as cursor,
             s.type::text as type, s.data::jsonb as data, s.workflow_id::uuid as workflow_id,
             s.run_id::uuid as run_id, s.contact_id::uuid as contact_id,
             s.channel_id::uuid as channel_id, s.delivery_id::uuid as delivery_id,
             now() as occurred_at
      from ${from} s join ${counters} k on k.workspace_id = s.workspace_id
    ),
    ${sql.raw(`${name}_batches`)} as (
      insert into event_batches (workspace_id, first_cursor, last_cursor, occurred_at, events)
      select a.workspace_id, min(a.cursor), max(a.cursor), now(),
             array_agg(${batchedEvent('a', false)} order by a.cursor)
      from ${appended} a
      group by a.workspace_id, (a.cursor - 1) / ${sql.raw(String(EVENTS_PER_BATCH))}
    )`;
}

/**
 * CTEs (after a comma in a WITH list) that append the compact events of CTE `source` to the
 * log, for a statement that appends at most EVENTS_PER_BATCH events per workspace (the caller
 * keeps that bound: recordAndMove, edge/dispatch/record.ts) and needs to know only which it
 * kept, and at which cursors. `source` has appendEventsCte's columns and COMPACT_EVENT_FIELDS'
 * (a compact event: a null `data`, which readers build from those). Each workspace's events
 * become one `event_batches` row, aggregated straight from `source` in `seq` order: no event is
 * numbered one by one (appendEventsCte's window function, with the sort of the whole wide rows
 * it needs) and no per-event rows are kept for the statement to read again: the dispatch
 * record's server time fell by a fifth (bench/README.md, "One log row per workspace for the
 * record's events"). Its batches are not cut at every 1,000th cursor, but they hold at most
 * EVENTS_PER_BATCH events, which is all readers rely on (eventLogRows). `<name>` yields one
 * row per workspace: `workspace_id`, `seqs` (the appended events' `seq`s in no particular
 * order: cursor order is their numeric order), `first_cursor` (the lowest seq's),
 * `last_cursor`, `occurred_at` and the `events` array stored.
 */
export function appendWorkspaceBatchesCte(source: string, name: string): SQL {
  const grouped = sql.raw(`${name}_grouped`);
  const counters = sql.raw(`${name}_counters`);
  const appended = sql.raw(name);
  return sql`${grouped} as (
      select s.workspace_id::uuid as workspace_id, count(*) as events_count,
             array_agg(${batchedEvent('s', true)} order by s.seq) as events,
             array_agg(s.seq) as seqs
      from ${sql.raw(source)} s group by s.workspace_id
    ),
    ${bumpCountersCte(
      counters,
      sql`select workspace_id, events_count from ${grouped} order by workspace_id`,
    )},
    ${appended} as (
      select g.workspace_id, g.seqs, k.last_cursor - g.events_count + 1 as first_cursor,
             k.last_cursor, now() as occurred_at, g.events
      from ${grouped} g join ${counters} k on k.workspace_id = g.workspace_id
    ),
    ${sql.raw(`${name}_batches`)} as (
      insert into event_batches (workspace_id, first_cursor, last_cursor, occurred_at, events)
      select workspace_id, first_cursor, last_cursor, occurred_at, events from ${appended}
    )`;
}

/**
 * The log's events of one workspace after cursor `after` (exclusive; all by default) and up to
 * `upto` (inclusive, if given), as a FROM item with EventRow's columns plus `batch_cursor` and `ord`:
 * `order by batch_cursor, ord` is cursor order and lets Postgres read the batches in primary
 * key order and sort each batch's few rows alone (an incremental sort), so that a `limit` stops
 * the read early. Only the batches holding such cursors are read (a primary-key range) and
 * each is expanded once. Its own aliases (`eb`, `ev`) leave the caller's free, since a caller
 * may pass expressions of its own FROM items as the bounds.
 */
export function eventLogRows(workspaceId: SQL, after: SQL = sql`0`, upto?: SQL): SQL {
  // A batch spans fewer than EVENTS_PER_BATCH cursors, so one that starts by `upto` ends before
  // `upto + EVENTS_PER_BATCH`: a bound on the key, which ends the index scan there.
  const within = upto
    ? sql`and eb.last_cursor < ${upto} + ${sql.raw(String(EVENTS_PER_BATCH))}
          and eb.first_cursor <= ${upto} and eb.first_cursor + ev.ord - 1 <= ${upto}`
    : sql``;
  return sql`(select ${eventColumns('eb')}, eb.last_cursor as batch_cursor, ev.ord
              from event_batches eb cross join lateral ${batchElements('eb')}
              where eb.workspace_id = ${workspaceId} and eb.last_cursor > ${after}
                and eb.first_cursor + ev.ord - 1 > ${after} ${within})`;
}

/**
 * The elements of the `events` array of the `event_batches` row aliased `b`, as a FROM item
 * aliased `ev` with their position (`ord`, from 1). Every reader of the array expands a batch
 * with this and `eventColumns` (eventLogRows, and the webhook delivery's claim).
 */
export function batchElements(b: string): SQL {
  return sql`unnest(${sql.raw(b)}.events) with ordinality
    as ev(type, data, workflow_id, run_id, contact_id, channel_id, delivery_id,
          ${sql.raw(COMPACT_EVENT_FIELDS.join(', '))}, ord)`;
}

/** EventRow's columns of the element `ev` (batchElements) of the batch aliased `b`. */
export function eventColumns(b: string): SQL {
  const batch = sql.raw(b);
  return sql`${batch}.workspace_id, ${batch}.first_cursor + ev.ord - 1 as cursor, ev.type,
    ${loggedData()} as data, ev.workflow_id, ev.run_id, ev.contact_id, ev.channel_id,
    ev.delivery_id, ${batch}.occurred_at`;
}

/**
 * The `data` of an element `ev` of `event_batches.events` as partners get it. A compact event
 * (no `data`, appendWorkspaceBatchesCte's: the dispatch record's) is built from the element's
 * columns. The record stored its events before that without the fields the element's own
 * columns hold (its id, run, workflow, contact and channel); those are put back. An object that
 * has its `id` is whole already (every other writer, and the record before it stored them
 * once), and is returned as stored. The shapes are edge/events/types.ts's DeliveryEventData and
 * RunEventData, as planRecordEvents (edge/dispatch/record-events.ts) publishes them.
 */
function loggedData(): SQL {
  const col = (column: string) => sql.raw(`ev.${column}`);
  return sql`case
      when ${col('data')} is null and ${col('type')} like 'delivery.%'
        then ${deliveryJson({
          id: col('delivery_id'),
          runId: col('run_id'),
          stepId: sql`coalesce(${col('step_id')}::text, '')`,
          visit: col('visit'),
          workflowId: col('workflow_id'),
          contactId: col('contact_id'),
          channelId: col('channel_id'),
          status: col('status'),
          providerStatus: sql`null`,
          providerMessageId: col('provider_message_id'),
          reason: sql`case when ${col('reason_code')} <> '' then ${reasonJson(col('reason_code'), col('reason_detail'))} end`,
        })}
      when ${col('data')} is null and ${col('type')} like 'run.%'
        then ${runJson({
          id: col('run_id'),
          workflowId: col('workflow_id'),
          contactId: col('contact_id'),
          status: col('status'),
          stepId: col('step_id'),
          visit: col('visit'),
          fromStepId: col('from_step_id'),
          exitReason: col('exit_reason'),
        })}
      when ${col('data')} -> 'delivery' is not null and not (${col('data')} -> 'delivery' ? 'id')
        then ${col('data')} || jsonb_build_object('delivery', (${col('data')} -> 'delivery')
          || jsonb_build_object('id', ${col('delivery_id')}, 'runId', ${col('run_id')},
                                'workflowId', ${col('workflow_id')},
                                'contactId', ${col('contact_id')},
                                'channelId', ${col('channel_id')}))
      when ${col('data')} -> 'run' is not null and not (${col('data')} -> 'run' ? 'id')
        then ${col('data')} || jsonb_build_object('run', (${col('data')} -> 'run')
          || jsonb_build_object('id', ${col('run_id')}, 'workflowId', ${col('workflow_id')},
                                'contactId', ${col('contact_id')}))
      else ${col('data')}
    end`;
}

/** An EventRow as JSON from a row of eventLogRows aliased `e` (the shape `to_jsonb` gives an appended row). */
export function eventRowJson(e: string): SQL {
  const col = (column: string) => sql.raw(`${e}.${column}`);
  return sql`jsonb_build_object('workspace_id', ${col('workspace_id')}, 'cursor', ${col('cursor')},
      'type', ${col('type')}, 'data', ${col('data')}, 'workflow_id', ${col('workflow_id')},
      'run_id', ${col('run_id')}, 'contact_id', ${col('contact_id')},
      'channel_id', ${col('channel_id')}, 'delivery_id', ${col('delivery_id')},
      'occurred_at', ${col('occurred_at')})`;
}

/** What replay may narrow to; every field optional, all given must match. */
export interface EventLogFilter {
  workflowId?: string;
  runId?: string;
  contactId?: string;
  channelId?: string;
  types?: readonly string[];
}

/**
 * Up to `limit` events of one workspace after `after` (exclusive), in cursor order, matching
 * `filter`. The primary key (workspace_id, last_cursor) finds the first batch; batches are read
 * in key order until `limit` events matched.
 */
export async function readEventsAfter(
  db: Database,
  workspaceId: string,
  after: number,
  limit: number,
  filter: EventLogFilter = {},
): Promise<EventRow[]> {
  const conditions: SQL[] = [sql`true`];
  if (filter.workflowId) conditions.push(sql`e.workflow_id = ${filter.workflowId}::uuid`);
  if (filter.runId) conditions.push(sql`e.run_id = ${filter.runId}::uuid`);
  if (filter.contactId) conditions.push(sql`e.contact_id = ${filter.contactId}::uuid`);
  if (filter.channelId) conditions.push(sql`e.channel_id = ${filter.channelId}::uuid`);
  if (filter.types && filter.types.length > 0) {
    conditions.push(sql`e.type = any(${sql.param([...filter.types])}::text[])`);
  }
  const rows = await queryRows<{ event: EventRow }>(
    db,
    sql`select ${eventRowJson('e')} as event
        from ${eventLogRows(sql`${workspaceId}::uuid`, sql`${after}::bigint`)} e
        where ${sql.join(conditions, sql` and `)}
        order by e.batch_cursor, e.ord limit ${limit}`,
  );
  return rows.map((row) => row.event);
}

/**
 * SQL for each field of an event's `data` object, keyed as partners get it (edge/events/types.ts
 * has the objects' types; db/ does not import edge/).
 */
type DeliveryField =
  | 'id'
  | 'runId'
  | 'stepId'
  | 'visit'
  | 'workflowId'
  | 'contactId'
  | 'channelId'
  | 'status'
  | 'providerStatus'
  | 'providerMessageId'
  | 'reason';
type RunField =
  | 'id'
  | 'workflowId'
  | 'contactId'
  | 'status'
  | 'stepId'
  | 'visit'
  | 'fromStepId'
  | 'exitReason';

/**
 * The `data` of a `delivery.*` event (edge/events/types.ts, DeliveryEventData) from an SQL
 * expression per field: the one place its keys are spelled, for every writer and reader.
 */
function deliveryJson(f: Record<DeliveryField, SQL>): SQL {
  return sql`jsonb_build_object('delivery', jsonb_build_object(
      'id', ${f.id}, 'runId', ${f.runId}, 'stepId', ${f.stepId}, 'visit', ${f.visit},
      'workflowId', ${f.workflowId}, 'contactId', ${f.contactId}, 'channelId', ${f.channelId},
      'status', ${f.status}, 'providerStatus', ${f.providerStatus},
      'providerMessageId', ${f.providerMessageId}, 'reason', ${f.reason}))`;
}

/** A delivery event's `reason` object. */
function reasonJson(code: SQL, detail: SQL): SQL {
  return sql`jsonb_build_object('code', ${code}, 'detail', ${detail})`;
}

/** The `data` of a `run.*` event (RunEventData) from an SQL expression per field. */
function runJson(f: Record<RunField, SQL>): SQL {
  return sql`jsonb_build_object('run', jsonb_build_object(
      'id', ${f.id}, 'workflowId', ${f.workflowId}, 'contactId', ${f.contactId},
      'status', ${f.status}, 'stepId', ${f.stepId}, 'visit', ${f.visit},
      'fromStepId', ${f.fromStepId}, 'exitReason', ${f.exitReason}))`;
}

/**
 * The `data` of a `delivery.*` event (edge/events/types.ts, DeliveryEventData) from a delivery
 * row alias `d` (deliveries' columns, or a RETURNING of them) and its run alias `r`.
 */
export function deliveryEventData(d: string, r: string): SQL {
  const col = (alias: string, column: string) => sql.raw(`${alias}.${column}`);
  return deliveryJson({
    id: col(d, 'id'),
    runId: col(d, 'run_id'),
    stepId: col(d, 'step_id'),
    visit: col(d, 'visit'),
    workflowId: col(r, 'workflow_id'),
    contactId: col(r, 'contact_id'),
    channelId: col(d, 'channel_id'),
    status: col(d, 'status'),
    providerStatus: col(d, 'provider_status'),
    providerMessageId: col(d, 'provider_message_id'),
    reason: sql`case when ${col(d, 'reason_code')} is null then null
      else ${reasonJson(col(d, 'reason_code'), col(d, 'reason_detail'))} end`,
  });
}

/**
 * The `data` of a `run.*` event (RunEventData) from a run row alias `r` and the step it came
 * from (`fromStep`, an SQL expression, or null).
 */
export function runEventData(r: string, fromStep: string): SQL {
  const col = (column: string) => sql.raw(`${r}.${column}`);
  return runJson({
    id: col('id'),
    workflowId: col('workflow_id'),
    contactId: col('contact_id'),
    status: col('status'),
    stepId: col('current_step_id'),
    visit: col('step_visit'),
    fromStepId: sql.raw(fromStep),
    exitReason: col('exit_reason'),
  });
}
