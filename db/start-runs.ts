import { type SQL, sql } from 'drizzle-orm';
import { appendEventsCte, runEventData } from './event-log';

/** What every run of one start shares: the pinned version, its entry step and the variables. */
export interface RunStart {
  workspaceId: string;
  workflowId: string;
  versionId: string;
  entryStepId: string;
  /** `$trigger.*` values, already validated. */
  variables: Record<string, string>;
  /** When the entry step may run, from now (a wait entry step delays it). */
  dueInSeconds: number;
}

/**
 * What a start returns per run it created, read from `startRunsCtes`' `logged` with
 * STARTED_RUN_COLUMNS: the run and its contact, and its `run.started` event's cursor and time.
 * The rest of the event is known to the caller (edge/events/run-started.ts builds it), so the
 * statement does not send every event back as JSON: that was ~700 bytes per run, 7 MB for a
 * start of 10,000 contacts, for the isolate to parse.
 */
export interface StartedRunRow {
  id: string;
  contact_id: string;
  /** A bigint, as the driver gives it. */
  cursor: number | string;
  /** The event's `occurred_at` in whole milliseconds, as readers of the log see it. */
  occurred_at_ms: number;
}

/** The columns of a StartedRunRow, selected `from logged`. */
export const STARTED_RUN_COLUMNS = sql`logged.run_id as id, logged.contact_id, logged.cursor,
  floor(extract(epoch from logged.occurred_at) * 1000)::float8 as occurred_at_ms`;

/** STARTED_RUN_COLUMNS' place in a row of another kind unioned with them: all null. */
export const NO_STARTED_RUN = sql`null::uuid, null::uuid, null::bigint, null::float8`;

/**
 * CTEs (to follow `with`) that start one run per contact of `contacts` — a FROM item with an
 * `id` column (the contact id) and a `position` column (the order runs are created in) — and
 * append a `run.started` partner event per run in the same statement: `created` holds the
 * inserted runs, `logged` the appended events, one per created run (STARTED_RUN_COLUMNS reads
 * them). With `segmentStartId`, runs carry it and a contact that already has a run of that
 * segment start gets none (the unique index `runs_segment_start_contact_uq`), so a repeated
 * chunk inserts nothing twice.
 */
export function startRunsCtes(start: RunStart, contacts: SQL, segmentStartId?: string): SQL {
  const segment = segmentStartId ? sql`${segmentStartId}::uuid` : sql`null::uuid`;
  const onConflict = segmentStartId
    ? sql`on conflict (segment_start_id, contact_id) where segment_start_id is not null do nothing`
    : sql``;
  return sql`created as (
        insert into runs (workspace_id, workflow_id, version_id, contact_id, status,
                          current_step_id, step_visit, trigger_variables, due_at, segment_start_id)
        select ${start.workspaceId}::uuid, ${start.workflowId}::uuid, ${start.versionId}::uuid,
               c.id, 'active', ${start.entryStepId}::uuid, 1,
               ${JSON.stringify(start.variables)}::jsonb,
               now() + ${start.dueInSeconds} * interval '1 second', ${segment}
        from ${contacts}
        order by c.position
        ${onConflict}
        returning *
      ),
      started as (
        select r.workspace_id, row_number() over () as seq, 'run.started' as type,
               ${runEventData('r', 'null::uuid')} as data,
               r.workflow_id, r.id as run_id, r.contact_id, null::uuid as channel_id,
               null::uuid as delivery_id
        from created r
      ),
      ${appendEventsCte('started', 'logged')}`;
}

/**
 * The advisory lock that orders starting runs of a workflow against deleting it: a start takes
 * it shared in the transaction that inserts its runs (`startingRunsLock`: startWorkflow in
 * api/runs/start.ts, each segment chunk in edge/segments/chunk.ts), deleteWorkflow takes it
 * exclusively before it ends the workflow's runs (api/schema/workflow.ts). A start that got there first commits its runs
 * before they are ended (and logs their `run.exited`); one that comes later finds the workflow
 * gone. A lock on the workflow row would do the same, but dispatch takes that row's key-share
 * lock while it holds run rows (recording a first email's thread), whose locks deleteWorkflow
 * then waits for: a deadlock. Nothing but starts and deleteWorkflow takes this one.
 */
export function workflowRunsLockKey(workflowId: string): SQL {
  return sql`hashtextextended(${`workflow-runs:${workflowId}`}, 0)`;
}

/**
 * The same for deleting a contact, per workspace: deleteContact (api/schema/contact.ts) takes it
 * exclusively, every start shared. Per workspace, not per contact: a start of 10,000 contacts
 * would take 10,000 locks, and the contact row's own lock deadlocks with dispatch as the
 * workflow row's does (the email thread's key-share lock again). A contact's deletion therefore
 * waits for the workspace's starts under way (one statement each, a segment chunk's at most
 * 1,000 runs) and holds new ones for its own few milliseconds.
 *
 * Deleting a file or snippet (or renaming a snippet) that a version of the workspace mentions
 * takes it exclusively too, so that its in-use check sees the runs of the starts under way
 * (api/workflows/published-uses.ts). It takes it holding that file's or snippet's row lock,
 * which no start ever waits for (starts lock neither), so that order cannot deadlock either.
 */
export function contactRunsLockKey(workspaceId: string): SQL {
  return sql`hashtextextended(${`contact-runs:${workspaceId}`}, 0)`;
}

/**
 * The start side of `workflowRunsLockKey` and `contactRunsLockKey`: both taken shared, in the
 * transaction that inserts runs (or records a segment start), before it reads the contacts it
 * starts and before it confirms that the version it read is still published (`stillPublished`,
 * api/runs/start.ts). Each delete takes only its own lock, and only before it locks any row
 * (file and snippet deletes after theirs: see `contactRunsLockKey`), so no order of the two
 * can deadlock.
 */
export function startingRunsLock(workspaceId: string, workflowId: string): SQL {
  return sql`select pg_advisory_xact_lock_shared(${workflowRunsLockKey(workflowId)}),
    pg_advisory_xact_lock_shared(${contactRunsLockKey(workspaceId)})`;
}
