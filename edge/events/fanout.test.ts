import { describe, expect, it } from 'vitest';
import { EventFanout, SlowSubscriberError } from './fanout';
import { eventLog } from './test-event-log';
import type { LoggedEvent } from './types';

async function take(iterator: AsyncGenerator<LoggedEvent>, count: number): Promise<number[]> {
  const cursors: number[] = [];
  while (cursors.length < count) {
    const { value, done } = await iterator.next();
    if (done) break;
    cursors.push(value.cursor);
  }
  return cursors;
}

describe('the live fan-out', () => {
  it('replays the log after the cursor, then goes live, without repeating what the replay gave', async () => {
    const log = eventLog();
    log.commit(5);
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 5 });
    const subscription = fanout.subscribe({}, 2);
    const first = subscription.next();
    // Committed and published while the subscriber is replaying: in the read and in its queue.
    fanout.publish(log.commit(2));
    expect((await first).value?.cursor).toBe(3);
    fanout.publish(log.commit(1));
    expect(await take(subscription, 5)).toEqual([4, 5, 6, 7, 8]);
    await subscription.return(undefined);
    expect(fanout.size).toBe(0);
  });

  it('unsubscribes at once when returned while waiting for an event', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const subscription = fanout.subscribe({}, 0);
    const waiting = subscription.next();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fanout.size).toBe(1);
    await subscription.return(undefined);
    expect(fanout.size).toBe(0);
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it('hands out events published out of order in cursor order', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const subscription = fanout.subscribe({}, 0);
    const events = log.commit(4);
    const pending = take(subscription, 4);
    fanout.publish([events[2]!, events[3]!]);
    fanout.publish([events[0]!]);
    fanout.publish([events[1]!, events[1]!]);
    expect(await pending).toEqual([1, 2, 3, 4]);
  });

  it('fills a gap a publisher never closed from the log with one read for every subscriber', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0, gapWaitMs: 20 });
    const subscriptions = [fanout.subscribe({}, 0), fanout.subscribe({}, 0)];
    const pending = subscriptions.map((subscription) => take(subscription, 3));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const readsBefore = log.reads;
    const events = log.commit(3);
    // Event 1's publisher died after its commit.
    fanout.publish([events[1]!, events[2]!]);
    expect(await Promise.all(pending)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(log.reads - readsBefore).toBe(1);
  });

  it('fills a gap however many events wait behind it', async () => {
    // A publish lost before a large start's events (or a first fill that failed while
    // publishes went on): well over 100,000 events held behind the gap.
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0, gapWaitMs: 5 });
    const events = log.commit(150_000);
    fanout.publish(events.slice(1));
    const deadline = Date.now() + 5_000;
    while (fanout.lastDelivered < events.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(fanout.lastDelivered).toBe(events.length);
  });

  it('gives each subscriber only what its filter asks for', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const mine = fanout.subscribe({ runId: 'run-b' }, 0);
    const pending = take(mine, 2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    fanout.publish(log.commit(2, 'run-a'));
    fanout.publish(log.commit(1, 'run-b'));
    fanout.publish(log.commit(1, 'run-a'));
    fanout.publish(log.commit(1, 'run-b'));
    expect(await pending).toEqual([3, 5]);
  });

  it('drops a subscriber that falls too far behind without holding back the others', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0, bufferLimit: 10 });
    const slow = fanout.subscribe({}, 0);
    const fast = fanout.subscribe({}, 0);
    // Both past their replay, waiting for live events.
    const slowFirst = slow.next();
    const fastAll = take(fast, 30);
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let index = 0; index < 30; index++) {
      fanout.publish(log.commit(1));
      // The fast consumer reads between publishes; the slow one reads nothing.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await fastAll).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    expect((await slowFirst).value?.cursor).toBe(1);
    // The slow one gets what it had buffered, then learns where to resume.
    // It had taken event 1 off its queue; ten more fit.
    expect(await take(slow, 10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const failure = await slow.next().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SlowSubscriberError);
    expect((failure as SlowSubscriberError).lastCursor).toBe(11);
    expect(fanout.size).toBe(1);
  });
});
