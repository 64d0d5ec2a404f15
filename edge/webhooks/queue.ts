import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { jsonParam, queryRows } from '../../db/rows';
import { queueDelay } from '../dispatch/enqueue';
import { ENQUEUE_CHUNK_SIZE } from '../dispatch/limits';
import { log } from '../log';

/** The webhook queue (wrangler.toml): fan-out requests and messages to deliver. */
export const WEBHOOK_QUEUE_NAME = 'sendflow-webhooks';

/**
 * What goes on the queue: `fanout` asks to turn a workspace's new events into messages,
 * `message` to deliver one message (by its `msg_…` id).
 */
export type WebhookQueueBody = { v: 1; fanout: string } | { v: 1; message: string };

/** The part of a Cloudflare Queue binding the webhook code uses. */
export interface WebhookQueue {
  sendBatch(
    messages: Iterable<{ body: WebhookQueueBody; delaySeconds?: number }>,
  ): Promise<unknown>;
}

/** A queue body as sent, or undefined for anything else (dropped with a warning). */
export function parseWebhookQueueBody(body: unknown): WebhookQueueBody | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { v, fanout, message } = body as Record<string, unknown>;
  if (v !== 1) return undefined;
  if (typeof fanout === 'string') return { v, fanout };
  if (typeof message === 'string') return { v, message };
  return undefined;
}

/** A message to deliver and how long its queue message waits. */
export interface DueMessage {
  id: string;
  delaySeconds: number;
}

/**
 * Sends queue messages for committed webhook messages, then stamps `enqueued_at` with when each
 * becomes visible. A failed send is returned, not thrown: the rows are safe and the sweep
 * enqueues them later.
 */
export async function enqueueWebhookMessages(
  db: Database,
  queue: WebhookQueue | undefined,
  due: readonly DueMessage[],
  now: Date,
): Promise<{ enqueued: number; error?: unknown }> {
  if (!queue || due.length === 0) return { enqueued: 0 };
  try {
    for (let start = 0; start < due.length; start += ENQUEUE_CHUNK_SIZE) {
      await queue.sendBatch(
        due.slice(start, start + ENQUEUE_CHUNK_SIZE).map(({ id, delaySeconds }) => {
          const delay = queueDelay(delaySeconds);
          const body: WebhookQueueBody = { v: 1, message: id };
          return delay > 0 ? { body, delaySeconds: delay } : { body };
        }),
      );
    }
  } catch (error) {
    return { enqueued: 0, error };
  }
  const stamps = due.map(({ id, delaySeconds }) => ({ id, delay: queueDelay(delaySeconds) }));
  try {
    await queryRows(
      db,
      sql`update webhook_messages m
          set enqueued_at = ${now.toISOString()}::timestamptz + s.delay * interval '1 second'
          from json_to_recordset(${jsonParam(stamps)}::json) as s(id text, delay int)
          where m.id = s.id and m.status = 'pending'`,
    );
  } catch (error) {
    // The messages are on their way; the sweep may enqueue them again, which the claim makes
    // harmless.
    log('warn', 'webhooks: enqueued, but stamping enqueued_at failed', { error });
  }
  return { enqueued: due.length };
}

/** Asks the webhook consumer to fan out these workspaces' new events. */
export async function requestFanout(
  queue: WebhookQueue,
  workspaceIds: Iterable<string>,
): Promise<void> {
  const bodies = [...new Set(workspaceIds)].map((fanout) => ({
    body: { v: 1, fanout } as WebhookQueueBody,
  }));
  for (let start = 0; start < bodies.length; start += ENQUEUE_CHUNK_SIZE) {
    await queue.sendBatch(bodies.slice(start, start + ENQUEUE_CHUNK_SIZE));
  }
}
