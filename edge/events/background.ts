import { publishQuietly } from './publish';
import type { EventPublisher } from './types';

/**
 * A publisher that does not hold its caller: each publish runs in the background of the
 * invocation (`waitUntil` keeps the invocation alive until it has ended), so a dispatch batch
 * goes on to its sends, and to its end, while the EventHub and the webhook queue are told. A
 * failure is logged as `publishQuietly` logs it. Nothing depends on a publish having arrived:
 * the hub hands events out in cursor order whatever order publishes arrive in (repairing a gap
 * from the log), and webhook fan-out reads the log itself.
 */
export function publishInBackground(
  publisher: EventPublisher | undefined,
  waitUntil: (promise: Promise<unknown>) => void,
): EventPublisher | undefined {
  if (!publisher) return undefined;
  return {
    publish(events) {
      waitUntil(publishQuietly(publisher, events));
      return Promise.resolve();
    },
  };
}
