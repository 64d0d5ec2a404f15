import type { FanoutSink } from './fanout';
import type { LoggedEvent } from './types';

/**
 * The fast path of a distinct-connections SSE stream (edge/events/hub.ts): the fan-out writes
 * each burst's `next` messages straight into the stream's output, already framed, instead of
 * passing every event through graphql-sse's per-message chain (the subscription's iterator,
 * Yoga's result hooks, graphql-sse's queue, a ReadableStream pull, our guard's read): each
 * message of a burst cost a dozen promise turns and two stream operations per subscriber, and
 * a burst of 100 events to 10 subscribers took tens of milliseconds of the isolate's CPU.
 * graphql-sse still answers the request, reports errors and completes the operation.
 */

/** Renders one event as its SSE message: the same for every subscriber with the same key. */
export interface FrameRenderer {
  readonly key: string;
  render(event: LoggedEvent): Uint8Array;
}

/**
 * A subscription's source when its stream takes written frames: the hub returns one from
 * `LiveEvents.subscribe` on a distinct-connections stream, and the subscribe function
 * (edge/events/shared-results.ts), which knows the operation, gives it its renderer.
 */
export interface FrameWritable {
  writeFrames(renderer: FrameRenderer): AsyncGenerator<never>;
}

export function isFrameWritable(source: unknown): source is FrameWritable {
  return typeof (source as Partial<FrameWritable>)?.writeFrames === 'function';
}

/** Writes frames into a stream's output: the SSE guard's (edge/events/stream-guard.ts). */
export type FrameTarget = (frames: Uint8Array[]) => boolean;

/**
 * Between the fan-out and a stream that may not exist yet: the subscription starts while
 * graphql-sse prepares the response, before the guard wraps its body. Frames written before
 * then wait here; `connect` hands them over in order.
 */
export class FrameOutlet {
  private waiting: Uint8Array[] = [];
  private target: FrameTarget | null = null;

  /** False once the stream's reader is too far behind (the stream then ends itself). */
  write(frames: Uint8Array[]): boolean {
    if (this.target) return this.target(frames);
    for (const frame of frames) this.waiting.push(frame);
    return true;
  }

  connect(target: FrameTarget): void {
    this.target = target;
    const waiting = this.waiting;
    this.waiting = [];
    if (waiting.length > 0) target(waiting);
  }
}

/** The fan-out's sink for one subscription: renders through `renderer`, writes to `outlet`. */
export function frameSink(outlet: FrameOutlet, renderer: FrameRenderer): FanoutSink<Uint8Array> {
  return {
    key: renderer.key,
    render: (event) => renderer.render(event),
    write: (frames) => outlet.write(frames),
  };
}

const encoder = new TextEncoder();

/**
 * A `next` message as graphql-sse prints it in distinct-connections mode (`event: next`,
 * `data: <result JSON>`), with `id: <cursor>` first so that EventSource and `curl` clients can
 * resume with `Last-Event-ID`.
 */
export function nextFrame(cursor: number, resultJson: string): Uint8Array {
  return encoder.encode(`id: ${cursor}\nevent: next\ndata: ${resultJson}\n\n`);
}
