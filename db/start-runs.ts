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
 * CTEs (to follow `with`) that start one run per contact of `contacts` — a FROM item with an
 * `id` column (the contact id) and a `position` column (the order runs are created in) — and
 * append a `run.started` partner event per run in the same statement: `created` holds the
 * inserted runs, `logged` the appended events. With `segmentStartId`, runs carry it and a
 * contact that already has a run of that segment start gets none (the unique index
 * `runs_segment_start_contact_uq`), so a repeated chunk inserts nothing twice.
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
