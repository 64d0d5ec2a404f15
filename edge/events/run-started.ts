import type { StartedRunRow } from '../../db/start-runs';
import { type LoggedEvent, loggedEvent } from './types';

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
  return rows.map((row) =>
    loggedEvent({
      workspaceId: start.workspaceId,
      cursor: Number(row.cursor),
      refs: {
        workflowId: start.workflowId,
        runId: row.id,
        contactId: row.contact_id,
        channelId: null,
      },
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
    }),
  );
}
