import { type SQL, sql } from 'drizzle-orm';
import type { Database } from './client';
import { queryRows } from './rows';

/**
 * The partner event log's SQL (db/schema/events.ts), shared by every statement that appends to it
 * (dispatch's claim and record, status updates, starting runs) and by replay.
 */

/** A logged event as a row of the log holds it (the `events` table, snake_case, as to_jsonb gives it). */
export interface EventRow {
  workspace_id: string;
  cursor: number | string;
  type: string;
  data: Record<string, unknown>;
  workflow_id: string | null;
  run_id: string | null;
  contact_id: string | null;
  channel_id: string | null;
  delivery_id: string | null;
  occurred_at: string;
}

/**
 * Two CTEs (to put after a comma in a WITH list) that append the rows of CTE `source` to the log
 * in the same statement. `source` must have the columns `workspace_id, seq, type, data,
 * workflow_id, run_id, contact_id, channel_id, delivery_id`; `seq` orders events within the
 * statement. `<name>_counters` bumps each workspace's counter by its number of events (an
 * upsert in workspace order, so two statements lock counters in the same order and cannot
 * deadlock); the counter row stays locked until commit, so statements appending to one
 * workspace commit in cursor order and a reader that has seen cursor N never later finds an
 * N-1 committed behind it. `<name>` inserts the events, returning their rows.
 */
export function appendEventsCte(source: string, name: string): SQL {
  const counters = sql.raw(`${name}_counters`);
  const from = sql.raw(source);
  const appended = sql.raw(name);
  return sql`${counters} as (
      insert into event_counters as c (workspace_id, last_cursor)
      select workspace_id, count(*) from ${from} group by workspace_id order by workspace_id
      on conflict (workspace_id) do update set last_cursor = c.last_cursor + excluded.last_cursor
      returning c.workspace_id, c.last_cursor
    ),
    ${appended} as (
      insert into events (workspace_id, cursor, type, data, workflow_id, run_id, contact_id,
                          channel_id, delivery_id)
      select s.workspace_id,
             k.last_cursor - count(*) over (partition by s.workspace_id)
               + row_number() over (partition by s.workspace_id order by s.seq),
             s.type, s.data, s.workflow_id, s.run_id, s.contact_id, s.channel_id, s.delivery_id
      from ${from} s join ${counters} k on k.workspace_id = s.workspace_id
      returning *
    )`;
}

/** `select to_jsonb(e) as event from <name> e`: the appended rows, one JSON column each. */
export function appendedEventsJson(name: string): SQL {
  return sql`select to_jsonb(e) as event from ${sql.raw(name)} e`;
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
 * `filter`. The primary key (workspace_id, cursor) serves it.
 */
export async function readEventsAfter(
  db: Database,
  workspaceId: string,
  after: number,
  limit: number,
  filter: EventLogFilter = {},
): Promise<EventRow[]> {
  const conditions: SQL[] = [sql`workspace_id = ${workspaceId}::uuid`, sql`cursor > ${after}`];
  if (filter.workflowId) conditions.push(sql`workflow_id = ${filter.workflowId}::uuid`);
  if (filter.runId) conditions.push(sql`run_id = ${filter.runId}::uuid`);
  if (filter.contactId) conditions.push(sql`contact_id = ${filter.contactId}::uuid`);
  if (filter.channelId) conditions.push(sql`channel_id = ${filter.channelId}::uuid`);
  if (filter.types && filter.types.length > 0) {
    conditions.push(sql`type = any(${sql.param([...filter.types])}::text[])`);
  }
  const rows = await queryRows<{ event: EventRow }>(
    db,
    sql`select to_jsonb(e) as event from events e where ${sql.join(conditions, sql` and `)}
        order by cursor limit ${limit}`,
  );
  return rows.map((row) => row.event);
}

/**
 * The `data` of a `delivery.*` event (edge/events/types.ts, DeliveryEventData) from a delivery
 * row alias `d` (deliveries' columns, or a RETURNING of them) and its run alias `r`.
 */
export function deliveryEventData(d: string, r: string): SQL {
  const col = (alias: string, column: string) => sql.raw(`${alias}.${column}`);
  return sql`jsonb_build_object('delivery', jsonb_build_object(
      'id', ${col(d, 'id')}, 'runId', ${col(d, 'run_id')}, 'stepId', ${col(d, 'step_id')},
      'visit', ${col(d, 'visit')}, 'workflowId', ${col(r, 'workflow_id')},
      'contactId', ${col(r, 'contact_id')}, 'channelId', ${col(d, 'channel_id')},
      'status', ${col(d, 'status')}, 'providerStatus', ${col(d, 'provider_status')},
      'providerMessageId', ${col(d, 'provider_message_id')},
      'reason', case when ${col(d, 'reason_code')} is null then null
        else jsonb_build_object('code', ${col(d, 'reason_code')}, 'detail', ${col(d, 'reason_detail')}) end))`;
}

/**
 * The `data` of a `run.*` event (RunEventData) from a run row alias `r` and the step it came
 * from (`fromStep`, an SQL expression, or null).
 */
export function runEventData(r: string, fromStep: string): SQL {
  const col = (column: string) => sql.raw(`${r}.${column}`);
  return sql`jsonb_build_object('run', jsonb_build_object(
      'id', ${col('id')}, 'workflowId', ${col('workflow_id')}, 'contactId', ${col('contact_id')},
      'status', ${col('status')}, 'stepId', ${col('current_step_id')}, 'visit', ${col('step_visit')},
      'fromStepId', ${sql.raw(fromStep)}, 'exitReason', ${col('exit_reason')}))`;
}
