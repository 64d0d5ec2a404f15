import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { appendEventsCte, type EventRow } from '../../db/event-log';
import { jsonParam, queryRows } from '../../db/rows';
import type { WebhookQueue, WebhookQueueBody } from './queue';

/**
 * Test support for webhook delivery in Node: a stand-in for the Cloudflare Queue binding that
 * keeps what was sent (a test then hands the message ids to the consumer, as the queue would
 * after each delay), and events appended to the log with the log's own statement.
 */

export interface RecordingQueue extends WebhookQueue {
  sent: { body: WebhookQueueBody; delaySeconds?: number }[];
  /** The `message` ids sent since the last call, with their delays. */
  take(): { id: string; delaySeconds: number }[];
}

export function recordingQueue(): RecordingQueue {
  const sent: RecordingQueue['sent'] = [];
  let taken = 0;
  return {
    sent,
    async sendBatch(messages) {
      for (const message of messages) sent.push(message);
    },
    take() {
      const fresh = sent.slice(taken);
      taken = sent.length;
      return fresh.flatMap(({ body, delaySeconds }) =>
        'message' in body ? [{ id: body.message, delaySeconds: delaySeconds ?? 0 }] : [],
      );
    },
  };
}

/** Appends `count` `run.started` events of one workflow to a workspace's log; returns them. */
export async function appendRunEvents(
  db: Database,
  workspaceId: string,
  count: number,
  workflowId: string = crypto.randomUUID(),
): Promise<EventRow[]> {
  const rows = Array.from({ length: count }, (_, seq) => {
    const runId = crypto.randomUUID();
    const contactId = crypto.randomUUID();
    return {
      workspace_id: workspaceId,
      seq,
      type: 'run.started',
      data: {
        run: {
          id: runId,
          workflowId,
          contactId,
          status: 'active',
          stepId: null,
          visit: 1,
          fromStepId: null,
          exitReason: null,
        },
      },
      workflow_id: workflowId,
      run_id: runId,
      contact_id: contactId,
    };
  });
  const appended = await queryRows<{ event: EventRow }>(
    db,
    sql`with source as (
          select workspace_id, seq, type, data, workflow_id, run_id, contact_id,
                 null::uuid as channel_id, null::uuid as delivery_id
          from json_to_recordset(${jsonParam(rows)}::json) as r(
            workspace_id uuid, seq int, type text, data jsonb, workflow_id uuid, run_id uuid,
            contact_id uuid)
        ),
        ${appendEventsCte('source', 'appended')}
        select to_jsonb(e) as event from appended e order by e.cursor`,
  );
  return appended.map((row) => row.event);
}
