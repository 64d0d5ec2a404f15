import { log } from '../log';
import type { EventPublisher, LoggedEvent } from './types';

/**
 * Publishes events after the statement that logged them committed. A failure is logged, not
 * thrown: the change and its events are committed, so retrying the batch would only repeat
 * work; the EventHub repairs a gap in cursors from the log when the next event arrives.
 */
export async function publishQuietly(
  publisher: EventPublisher | undefined,
  events: readonly LoggedEvent[],
): Promise<void> {
  if (!publisher || events.length === 0) return;
  try {
    await publisher.publish(events);
  } catch (error) {
    log('warn', 'events: publishing to the EventHub failed; subscribers catch up from the log', {
      events: events.length,
      error,
    });
  }
}
