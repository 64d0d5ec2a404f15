import { describe, expect, it } from 'vitest';
import { EventFanout } from './fanout';
import { mapEvents } from './map-events';
import { eventLog } from './test-event-log';

describe('mapEvents', () => {
  it('maps each event, and unsubscribes at once when returned while waiting for one', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const events = mapEvents(fanout.subscribe({}, 0), (logged) => logged.event.cursor);
    const first = events.next();
    fanout.publish(log.commit(1));
    expect(await first).toEqual({ done: false, value: '1' });
    const waiting = events.next();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fanout.size).toBe(1);
    // An async generator's return() would wait here for an event that never comes.
    await events.return(undefined);
    expect(fanout.size).toBe(0);
    expect(await waiting).toEqual({ done: true, value: undefined });
  });
});
