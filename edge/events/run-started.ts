import type { StartedRunRow } from '../../db/start-runs';
import { EVENT_VERSION, type LoggedEvent } from './types';

/** What every run of one start shares, as its `run.started` events show it. */
export interface StartedRuns {
  workspaceId: string;
  workflowId: string;
  entryStepId: string;
}

/**
 * The `run.started` events a start logged (db/start-runs.ts), as the EventHub publishes them:
 * built here from what the caller knows and the cursors the statement returned, with the same
 * data the statement stored (`runEventData` of the new run: active at the entry step, visit 1).
 */
export function runStartedEvents(
  start: StartedRuns,
  rows: readonly StartedRunRow[],
): LoggedEvent[] {
  return rows.map((row) => {
    const cursor = Number(row.cursor);
    return {
      workspaceId: start.workspaceId,
      cursor,
      refs: {
        workflowId: start.workflowId,
        runId: row.id,
        contactId: row.contact_id,
        channelId: null,
      },
      event: {
        v: EVENT_VERSION,
        cursor: String(cursor),
        type: 'run.started',
        occurredAt: new Date(row.occurred_at_ms).toISOString(),
        data: {
          run: {
            id: row.id,
            workflowId: start.workflowId,
            contactId: row.contact_id,
            status: 'active',
            stepId: start.entryStepId,
            visit: 1,
            fromStepId: null,
            exitReason: null,
          },
        },
      },
    };
  });
}
