import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { type ContactFilter, contactFilterSql } from '../../db/contact-filter';
import { queryRows } from '../../db/rows';
import type { SegmentStartStatus } from '../../db/schema';
import {
  NO_STARTED_RUN,
  STARTED_RUN_COLUMNS,
  type StartedRunRow,
  startingRunsLock,
  startRunsCtes,
} from '../../db/start-runs';
import { findStep } from '../../workflow/routing';
import type { WorkflowGraph } from '../../workflow/types';
import { type DispatchSender, enqueueRuns } from '../dispatch/enqueue';
import { entryDelaySeconds } from '../dispatch/route';
import { publishQuietly } from '../events/publish';
import { runStartedEvents } from '../events/run-started';
import type { EventPublisher } from '../events/types';
import { log } from '../log';
import { SEGMENT_CHUNK_SIZE } from './limits';
import type { SegmentChunkMessage, SegmentChunkSender } from './message';

export interface ChunkDeps {
  db: Database;
  dispatch: DispatchSender;
  segments: SegmentChunkSender;
  events?: EventPublisher;
  /** Contacts per chunk (SEGMENT_CHUNK_SIZE; tests use fewer). */
  chunkSize?: number;
}

/** What one chunk did: `stale` when its cursor had already been passed (or the start ended). */
export type ChunkOutcome =
  | { kind: 'stale' }
  | { kind: 'started'; runs: number; status: SegmentStartStatus; cursor: string | null };

interface SegmentRow {
  workspace_id: string;
  workflow_id: string;
  version_id: string;
  filter: ContactFilter;
  trigger_variables: Record<string, string>;
  status: SegmentStartStatus;
  cursor: string | null;
  graph: WorkflowGraph;
}

interface Progress {
  status: SegmentStartStatus;
  cursor: string | null;
}

/** A started run (StartedRunRow, `progress` null), or the start's progress (the rest null). */
type ChunkRow =
  | (StartedRunRow & { progress: null })
  | ({ [K in keyof StartedRunRow]: null } & { progress: Progress });

/**
 * Starts the runs of one chunk of a segment start: the next `chunkSize` contacts after
 * `message.after`, in id order, that the filter matches in the start's workspace. One statement
 * locks the start (only if it is still running at that cursor), inserts the runs (a contact
 * that already has a run of this start gets none), appends their `run.started` events and moves
 * the cursor and the count; a redelivered or duplicated message finds the cursor moved and does
 * nothing. After the commit: publish the events, enqueue the runs as `startWorkflow` does, and
 * send the next chunk's message. A crash before that send leaves the start idle; the sweep sends
 * it again (edge/segments/sweep.ts), and runs never enqueued are enqueued by the dispatch sweep.
 */
export async function startChunk(
  message: SegmentChunkMessage,
  deps: ChunkDeps,
): Promise<ChunkOutcome> {
  const chunkSize = deps.chunkSize ?? SEGMENT_CHUNK_SIZE;
  const [segment] = await queryRows<SegmentRow>(
    deps.db,
    sql`select s.workspace_id, s.workflow_id, s.version_id, s.filter, s.trigger_variables,
               s.status, s.cursor, v.graph
        from segment_starts s join workflow_versions v on v.id = s.version_id
        where s.id = ${message.segmentStartId}::uuid`,
  );
  if (segment?.status !== 'running' || segment.cursor !== message.after) {
    return { kind: 'stale' };
  }
  const entry = findStep(segment.graph, segment.graph.entryStepId);
  if (!entry) throw new Error(`segment start ${message.segmentStartId}: version has no entry step`);
  const dueInSeconds = entryDelaySeconds(entry);
  // The first chunk has no lower bound: a sentinel id such as the nil uuid would itself be a
  // contact id that `c.id > sentinel` skips (while `total` counted it).
  const afterCursor = message.after === null ? sql`` : sql`and c.id > ${message.after}::uuid`;

  const start = {
    workspaceId: segment.workspace_id,
    workflowId: segment.workflow_id,
    versionId: segment.version_id,
    entryStepId: entry.id,
    variables: segment.trigger_variables,
    dueInSeconds,
  };
  // In a transaction that first takes the start locks shared (startingRunsLock): a deleteWorkflow
  // under way is waited for (and then this chunk finds its start gone), as is a deleteContact
  // (its contact is then no longer picked), and one that comes later waits for these runs to
  // commit and ends them with `run.exited`.
  const rows = await deps.db.transaction(async function chunkRuns(tx) {
    const db = tx as unknown as Database;
    await db.execute(startingRunsLock(segment.workspace_id, segment.workflow_id));
    return queryRows<ChunkRow>(
      db,
      sql`with locked as (
        select id from segment_starts
        where id = ${message.segmentStartId}::uuid and status = 'running'
          and cursor is not distinct from ${message.after}::uuid
        for update
      ),
      picked as (
        select c.id, row_number() over (order by c.id) as position
        from (
          select c.id from contacts c
          where c.workspace_id = ${segment.workspace_id}::uuid ${afterCursor}
            and exists (select 1 from locked) and ${contactFilterSql(segment.filter)}
          order by c.id
          limit ${chunkSize}
        ) c
      ),
      ${startRunsCtes(start, sql`picked c`, message.segmentStartId)},
      advanced as (
        update segment_starts s
        set cursor = coalesce((select id from picked order by id desc limit 1), s.cursor),
            started = s.started + (select count(*) from created),
            status = case when (select count(*) from picked) < ${chunkSize} then 'completed'
                          else s.status end,
            ended_at = case when (select count(*) from picked) < ${chunkSize} then now()
                            else s.ended_at end,
            updated_at = now()
        from locked where s.id = locked.id
        returning s.status, s.cursor
      )
      select ${STARTED_RUN_COLUMNS}, null::jsonb as progress from logged
      union all
      select ${NO_STARTED_RUN}, to_jsonb(a) from advanced a`,
    );
  });
  const progress = rows.find((row) => row.progress)?.progress;
  // Another delivery of this message moved the cursor between the read and the lock.
  if (!progress) return { kind: 'stale' };
  const started = rows.flatMap((row) => (row.progress ? [] : [row]));
  const runIds = started.map((row) => row.id);
  await publishQuietly(deps.events, runStartedEvents(start, started));
  const enqueued = await enqueueRuns(
    deps.db,
    deps.dispatch,
    runIds.map((runId) => ({ runId, visit: 1, delaySeconds: dueInSeconds })),
  );
  if (enqueued.error) {
    log('error', 'segments: enqueueing a chunk failed; the sweep will enqueue its runs', {
      segmentStartId: message.segmentStartId,
      runs: runIds.length,
      error: enqueued.error,
    });
  }
  if (progress.status === 'running') {
    await deps.segments.send({ segmentStartId: message.segmentStartId, after: progress.cursor });
  }
  return { kind: 'started', runs: runIds.length, status: progress.status, cursor: progress.cursor };
}
