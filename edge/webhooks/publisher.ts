import type { EventPublisher } from '../events/types';
import { requestFanout, type WebhookQueue } from './queue';

/**
 * Wraps the event publisher so that committed events also reach webhooks: after the EventHub,
 * a fan-out request per workspace goes on the webhook queue (one small message; the consumer
 * reads the events from the log). Like every publish it is best effort: a lost request is
 * repaired by the cron sweep, which fans out any workspace whose log is ahead of its webhooks.
 */
export function withWebhookFanout(
  inner: EventPublisher | undefined,
  queue: WebhookQueue | undefined,
): EventPublisher | undefined {
  if (!queue) return inner;
  return {
    async publish(events) {
      const fanout = requestFanout(
        queue,
        events.map((event) => event.workspaceId),
      );
      const [hub, request] = await Promise.allSettled([inner?.publish(events), fanout]);
      if (hub.status === 'rejected') throw hub.reason;
      if (request.status === 'rejected') throw request.reason;
    },
  };
}
