import { log } from '../log';
import { deliverWebhookMessages, type WebhookDeliveryDeps } from './deliver';
import { fanOutAndEnqueue } from './fanout';
import { parseWebhookQueueBody } from './queue';

/** The part of a queue message the consumer reads. */
interface QueuedMessage {
  body: unknown;
}

/**
 * The webhook queue's consumer: fan-out requests first (so that their new messages are
 * enqueued), then one delivery batch for the messages named. Every message is settled by the
 * caller's ack of the batch; a database failure throws and the queue retries the batch, which
 * the claims make safe.
 */
export async function consumeWebhookBatch(
  messages: readonly QueuedMessage[],
  deps: WebhookDeliveryDeps,
): Promise<{ fannedOut: number; attempted: number; succeeded: number }> {
  const workspaces = new Set<string>();
  const ids = new Set<string>();
  for (const message of messages) {
    const body = parseWebhookQueueBody(message.body);
    if (!body) {
      log('warn', 'webhooks: dropped a malformed queue message', { body: message.body });
    } else if ('fanout' in body) {
      workspaces.add(body.fanout);
    } else {
      ids.add(body.message);
    }
  }
  const now = deps.now?.() ?? new Date();
  const fannedOut = await fanOutAndEnqueue(deps.db, deps.queue, workspaces, now);
  const delivered = await deliverWebhookMessages([...ids], deps);
  return { fannedOut, ...delivered };
}
