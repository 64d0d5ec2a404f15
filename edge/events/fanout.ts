import type { EventLogFilter } from '../../db/event-log';
import { type LoggedEvent, matchesFilter } from './types';

/**
 * One workspace's live fan-out (held by its EventHub Durable Object, edge/events/hub.ts): the
 * pipeline publishes events after committing them; every subscriber gets the log from its
 * cursor (replay) and then the live events, in cursor order, each once.
 *
 * Cursors are dense per workspace (db/event-log.ts), so the fan-out knows what it is missing:
 * events published out of order (two invocations committing close together) are held until the
 * gap closes, and a gap still open after `gapWaitMs` (a publisher that died after its commit) is
 * filled from the log: one read for the whole workspace, never one per subscriber.
 */

/** Reads up to `limit` events after a cursor (the log, db/event-log.ts). */
export type LogReader = (
  after: number,
  limit: number,
  filter?: EventLogFilter,
) => Promise<LoggedEvent[]>;

export interface FanoutOptions {
  readLog: LogReader;
  /** The workspace's last committed cursor when the fan-out starts. */
  initialCursor: number;
  /** How long a gap in published cursors may stay open before it is read from the log. */
  gapWaitMs?: number;
  /** Events a subscriber may have waiting before it is dropped as too slow. */
  bufferLimit?: number;
  /** Events read per replay query. */
  replayPage?: number;
}

export const DEFAULT_GAP_WAIT_MS = 500;
export const DEFAULT_BUFFER_LIMIT = 10_000;
const DEFAULT_REPLAY_PAGE = 500;

/** Ends a subscription whose consumer fell `bufferLimit` events behind; resume from its cursor. */
export class SlowSubscriberError extends Error {
  override name = 'SlowSubscriberError';
  constructor(readonly lastCursor: number) {
    super(`The subscriber fell too far behind; resume after cursor ${lastCursor}`);
  }
}

/**
 * Where the fan-out writes a subscriber's events itself instead of handing them out one at a
 * time through its iterator (the SSE streams, edge/events/live-frames.ts): a burst costs one
 * rendering per event for every subscriber with the same `key`, and one write per subscriber.
 */
export interface FanoutSink<Frame> {
  /** Sinks with equal keys render every event alike: each event is rendered once for all. */
  readonly key: string;
  render(event: LoggedEvent): Frame;
  /** Takes one publish's frames in cursor order; false once its reader is too far behind. */
  write(frames: Frame[]): boolean;
}

interface Subscriber {
  filter: EventLogFilter;
  /** Set by `return()`: the loop ends at its next step, even while waiting. */
  closed: boolean;
  queue: LoggedEvent[];
  /** While replaying, live events wait in `queue` unfiltered by position. */
  wake: (() => void) | null;
  failure: Error | null;
  /** Written to directly once `live` (replay done); null: handed out by the iterator. */
  sink: FanoutSink<unknown> | null;
  live: boolean;
  /**
   * A live sink's last cursor from the replay: the log may hold events whose publish has not
   * reached the fan-out yet (a slow pipeline), which the replay read and wrote already. The
   * fan-out hands those out later, in order; a sink skips them, as an iterator does.
   */
  replayedUpTo: number;
  /** Frames of the publish being fanned out, written when it ends. */
  batch: unknown[];
}

export class EventFanout {
  private delivered: number;
  private readonly held = new Map<number, LoggedEvent>();
  private readonly subscribers = new Set<Subscriber>();
  /** Sink subscribers with frames in their batch during the current publish. */
  private readonly writing = new Set<Subscriber>();
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private filling: Promise<void> | null = null;
  private readonly gapWaitMs: number;
  private readonly bufferLimit: number;
  private readonly replayPage: number;

  constructor(private readonly options: FanoutOptions) {
    this.delivered = options.initialCursor;
    this.gapWaitMs = options.gapWaitMs ?? DEFAULT_GAP_WAIT_MS;
    this.bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
    this.replayPage = options.replayPage ?? DEFAULT_REPLAY_PAGE;
  }

  /** Open subscriptions. */
  get size(): number {
    return this.subscribers.size;
  }

  /** The highest cursor handed to subscribers (every lower one was handed out too). */
  get lastDelivered(): number {
    return this.delivered;
  }

  /** Takes events the pipeline committed, in any order, any number of times. */
  publish(events: readonly LoggedEvent[]): void {
    for (const event of events) {
      if (event.cursor > this.delivered) this.held.set(event.cursor, event);
    }
    this.flush();
  }

  private flush(): void {
    for (;;) {
      const next = this.held.get(this.delivered + 1);
      if (!next) break;
      this.held.delete(next.cursor);
      this.delivered = next.cursor;
      this.fanOut(next);
    }
    this.writeBatches();
    if (this.held.size === 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = null;
    } else if (!this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        void this.fillGap();
      }, this.gapWaitMs);
    }
  }

  private fillGap(): Promise<void> {
    this.filling ??= (async () => {
      try {
        // Not `Math.max(...keys)`: spread passes every key as an argument, and past ~125,000
        // (a gap behind a large start, or one whose first fill failed while publishes went on)
        // that overflows the stack: every fill then threw, and the stream stalled for good.
        let highest = this.delivered;
        for (const cursor of this.held.keys()) if (cursor > highest) highest = cursor;
        while (this.delivered < highest) {
          const page = await this.options.readLog(this.delivered, this.replayPage);
          if (page.length === 0) break;
          this.publish(page);
        }
      } catch {
        // The next publish (or its own gap timer) tries again.
      } finally {
        this.filling = null;
        if (this.held.size > 0) this.flush();
      }
    })();
    return this.filling;
  }

  private fanOut(event: LoggedEvent): void {
    /** This event's frame per sink key: identical subscribers share one rendering. */
    let rendered: Map<string, unknown> | undefined;
    for (const subscriber of this.subscribers) {
      if (subscriber.failure || !matchesFilter(event, subscriber.filter)) continue;
      const { sink } = subscriber;
      if (sink && subscriber.live) {
        if (event.cursor <= subscriber.replayedUpTo) continue;
        rendered ??= new Map();
        let frame = rendered.get(sink.key);
        if (frame === undefined) {
          try {
            frame = sink.render(event);
          } catch (error) {
            this.fail(subscriber, error as Error);
            continue;
          }
          rendered.set(sink.key, frame);
        }
        subscriber.batch.push(frame);
        this.writing.add(subscriber);
      } else if (subscriber.queue.length >= this.bufferLimit) {
        // What is queued is still handed out before the error: resume after its last event.
        this.fail(subscriber, new SlowSubscriberError(subscriber.queue.at(-1)!.cursor));
      } else {
        subscriber.queue.push(event);
        subscriber.wake?.();
      }
    }
  }

  private fail(subscriber: Subscriber, failure: Error): void {
    subscriber.failure = failure;
    subscriber.wake?.();
  }

  /** One write per sink subscriber for everything one publish gave it. */
  private writeBatches(): void {
    for (const subscriber of this.writing) {
      const frames = subscriber.batch;
      subscriber.batch = [];
      if (subscriber.closed || subscriber.failure) continue;
      // Too slow: its sink ends the stream (what it holds stays readable); resume from the log.
      if (!subscriber.sink!.write(frames)) this.close(subscriber);
    }
    this.writing.clear();
  }

  private close(subscriber: Subscriber): void {
    subscriber.closed = true;
    this.subscribers.delete(subscriber);
    subscriber.wake?.();
  }

  /**
   * The events matching `filter` after cursor `after`: first from the log, then live. The
   * subscriber is registered before the log is read, so an event committed while it replays is
   * either in what the read returns or in its live queue (kept only past the last replayed
   * cursor): none missed, none twice. Ends with SlowSubscriberError when it falls too far
   * behind. `return()` unsubscribes at once, even while the iterator waits for an event (a
   * generator's own `return()` would wait for that event first).
   *
   * With a `sink`, the same events in the same order go to the sink instead (the replay a page
   * per write, then each publish in one write) and the iterator yields nothing: it ends when the
   * subscription does, so that its consumer (graphql-sse) still completes the operation.
   */
  subscribe<Frame>(
    filter: EventLogFilter,
    after: number,
    sink?: FanoutSink<Frame>,
  ): AsyncGenerator<LoggedEvent> {
    const subscriber: Subscriber = {
      filter,
      closed: false,
      queue: [],
      wake: null,
      failure: null,
      sink: sink ?? null,
      live: false,
      replayedUpTo: after,
      batch: [],
    };
    this.subscribers.add(subscriber);
    const generator = sink ? this.runWriting(subscriber, sink, after) : this.run(subscriber, after);
    const close = () => this.close(subscriber);
    return Object.assign(Object.create(generator) as AsyncGenerator<LoggedEvent>, {
      next: () => generator.next(),
      return(value: unknown) {
        close();
        return generator.return(value as undefined);
      },
      throw(error: unknown) {
        close();
        return generator.throw(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    });
  }

  private async *run(subscriber: Subscriber, after: number): AsyncGenerator<LoggedEvent> {
    const { filter } = subscriber;
    try {
      let position = after;
      for (;;) {
        const page = await this.options.readLog(position, this.replayPage, filter);
        for (const event of page) {
          position = event.cursor;
          yield event;
        }
        // A short page is the end of the log at the time of the read.
        if (page.length < this.replayPage || subscriber.closed) break;
      }
      while (!subscriber.closed) {
        while (subscriber.queue.length > 0) {
          const event = subscriber.queue.shift()!;
          if (event.cursor <= position) continue;
          position = event.cursor;
          yield event;
        }
        if (subscriber.failure) throw subscriber.failure;
        if (subscriber.closed) break;
        await this.sleep(subscriber);
      }
    } finally {
      this.subscribers.delete(subscriber);
    }
  }

  private async sleep(subscriber: Subscriber): Promise<void> {
    await new Promise<void>((resolve) => {
      subscriber.wake = resolve;
    });
    subscriber.wake = null;
  }

  private async *runWriting<Frame>(
    subscriber: Subscriber,
    sink: FanoutSink<Frame>,
    after: number,
  ): AsyncGenerator<LoggedEvent> {
    try {
      let position = after;
      for (;;) {
        const page = await this.options.readLog(position, this.replayPage, subscriber.filter);
        if (subscriber.closed) return;
        if (page.length > 0) {
          position = page.at(-1)!.cursor;
          if (!sink.write(page.map((event) => sink.render(event)))) return;
        }
        if (page.length < this.replayPage) break;
      }
      if (subscriber.failure) throw subscriber.failure;
      // Synchronously from here to `live`: no publish can slip between the two.
      const waiting = subscriber.queue.filter((event) => event.cursor > position);
      subscriber.queue = [];
      subscriber.replayedUpTo = waiting.at(-1)?.cursor ?? position;
      subscriber.live = true;
      if (waiting.length > 0 && !sink.write(waiting.map((event) => sink.render(event)))) return;
      while (!subscriber.closed && !subscriber.failure) await this.sleep(subscriber);
      if (subscriber.failure) throw subscriber.failure;
    } finally {
      this.subscribers.delete(subscriber);
    }
    // Nothing is handed out here: every event went to the sink.
    yield* [];
  }
}
