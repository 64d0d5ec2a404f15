import { describe, expect, it } from 'vitest';
import { EventFanout, type FanoutSink } from './fanout';
import { eventLog } from './test-event-log';
import type { LoggedEvent } from './types';

/**
 * The fan-out writing to sinks (the SSE streams' fast path, edge/events/live-frames.ts): the
 * same guarantees as its iterators (replay then live, cursor order, each event once, filters,
 * slow readers dropped alone), with one rendering per event for identical subscribers and one
 * write per subscriber per publish.
 */

interface RecordingSink extends FanoutSink<string> {
  /** Every write, each the list of frames it carried. */
  writes: string[][];
  /** Cursors of everything written, in order. */
  cursors(): number[];
  /** Events this sink rendered itself (not shared from another sink with its key). */
  rendered: number;
}

function sink(key: string, options: { acceptWrites?: number } = {}): RecordingSink {
  const writes: string[][] = [];
  const recording: RecordingSink = {
    key,
    writes,
    rendered: 0,
    render(event: LoggedEvent) {
      recording.rendered++;
      return `${key}:${event.cursor}`;
    },
    write(frames) {
      writes.push(frames);
      return writes.length < (options.acceptWrites ?? Number.POSITIVE_INFINITY);
    },
    cursors: () => writes.flat().map((frame) => Number(frame.split(':')[1])),
  };
  return recording;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('the live fan-out writing to sinks', () => {
  it('renders each event once for identical subscribers and writes each of them every event once, in order, one write per publish', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const sinks = [sink('same'), sink('same'), sink('same')];
    const subscriptions = sinks.map((one) => fanout.subscribe({}, 0, one));
    const ends = subscriptions.map((subscription) => subscription.next());
    await settle();
    const events = log.commit(6);
    // Out of order, and one twice: still handed out in cursor order, once each.
    fanout.publish([events[1]!, events[0]!, events[2]!]);
    fanout.publish([events[4]!, events[3]!, events[4]!, events[5]!]);
    for (const one of sinks) {
      expect(one.cursors()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(one.writes.map((frames) => frames.length)).toEqual([3, 3]);
    }
    expect(sinks.reduce((sum, one) => sum + one.rendered, 0)).toBe(6);
    for (const subscription of subscriptions) await subscription.return(undefined);
    // The iterators yielded nothing and end when returned.
    expect(await Promise.all(ends)).toEqual(sinks.map(() => ({ done: true, value: undefined })));
    expect(fanout.size).toBe(0);
  });

  it('gives a subscriber with another filter or operation only its own events and renderings', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const everything = sink('a');
    const runB = sink('a');
    const otherOperation = sink('b');
    fanout.subscribe({}, 0, everything).next();
    fanout.subscribe({ runId: 'run-b' }, 0, runB).next();
    fanout.subscribe({}, 0, otherOperation).next();
    await settle();
    fanout.publish([...log.commit(2, 'run-a'), ...log.commit(1, 'run-b')]);
    fanout.publish(log.commit(1, 'run-b'));
    expect(everything.writes).toEqual([['a:1', 'a:2', 'a:3'], ['a:4']]);
    expect(runB.writes).toEqual([['a:3'], ['a:4']]);
    expect(otherOperation.writes).toEqual([['b:1', 'b:2', 'b:3'], ['b:4']]);
  });

  it('replays the log after the cursor, then writes live events, none missed and none twice', async () => {
    const log = eventLog();
    log.commit(5);
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 5, replayPage: 2 });
    const resumed = sink('a');
    fanout.subscribe({}, 2, resumed).next();
    // Committed and published while the subscriber replays: in the read, in its queue, or both.
    fanout.publish(log.commit(2));
    await settle();
    fanout.publish(log.commit(1));
    expect(resumed.cursors()).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('does not write again what the replay read before its publish reached the fan-out', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const early = sink('a');
    fanout.subscribe({}, 0, early).next();
    await settle();
    // Committed and published: the fan-out has handed out 1–2.
    fanout.publish(log.commit(2));
    // Committed, but their publish is slow to arrive (a loaded pipeline): a subscriber that
    // connects now replays 3–5 from the log and goes live with the fan-out still at 2.
    const late = log.commit(3);
    const resumed = sink('a');
    fanout.subscribe({}, 0, resumed).next();
    await settle();
    fanout.publish(late);
    fanout.publish(log.commit(1));
    expect(resumed.cursors()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(early.cursors()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('drops a subscriber whose reader fell behind without holding back the others', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const slow = sink('a', { acceptWrites: 2 });
    const fast = sink('a');
    const slowEnd = fanout.subscribe({}, 0, slow).next();
    fanout.subscribe({}, 0, fast).next();
    await settle();
    for (let index = 0; index < 4; index++) fanout.publish(log.commit(1));
    // The second write was refused: the slow one gets nothing more, and its iterator ends.
    expect(slow.cursors()).toEqual([1, 2]);
    expect(await slowEnd).toEqual({ done: true, value: undefined });
    expect(fast.cursors()).toEqual([1, 2, 3, 4]);
    expect(fanout.size).toBe(1);
  });

  it('ends only the subscription whose rendering fails, with its error', async () => {
    const log = eventLog();
    const fanout = new EventFanout({ readLog: log.read, initialCursor: 0 });
    const broken: RecordingSink = {
      ...sink('broken'),
      render() {
        throw new Error('cannot render');
      },
    };
    const healthy = sink('a');
    const brokenEnd = fanout.subscribe({}, 0, broken).next();
    fanout.subscribe({}, 0, healthy).next();
    await settle();
    fanout.publish(log.commit(2));
    await expect(brokenEnd).rejects.toThrow('cannot render');
    expect(healthy.cursors()).toEqual([1, 2]);
    expect(fanout.size).toBe(1);
  });
});
