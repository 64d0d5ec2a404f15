import { isUuid } from '../../workflow/ids';

/** The segments queue (wrangler.toml): one message per chunk of a segment start. */
export const SEGMENT_QUEUE_NAME = 'sendflow-segments';

/** Where it puts chunks it gave up on: their segment start is marked `failed`. */
export const SEGMENT_DEAD_LETTER_QUEUE_NAME = 'sendflow-segments-dlq';

/**
 * One chunk to start: the contacts after `after` (a contact id; null for the first chunk) in id
 * order. Ids only: the filter and the version are read from the segment start's row.
 */
export interface SegmentChunkMessage {
  segmentStartId: string;
  after: string | null;
}

/** The body as sent, with its format version. */
export interface SegmentChunkBody extends SegmentChunkMessage {
  v: 1;
}

/** The message in `body`, or null when it is not one (dropped). */
export function parseSegmentChunkMessage(body: unknown): SegmentChunkMessage | null {
  if (typeof body !== 'object' || body === null) return null;
  const { v, segmentStartId, after } = body as Record<string, unknown>;
  if (v !== 1 || !isUuid(segmentStartId)) return null;
  if (after !== null && !isUuid(after)) return null;
  return { segmentStartId, after };
}

/** Where chunk messages go: the Worker's queue binding, or anything with the same shape. */
export interface SegmentChunkSender {
  send(message: SegmentChunkMessage): Promise<void>;
}

/** A sender over a queue binding. */
export function segmentQueueSender(queue: {
  send(body: SegmentChunkBody): Promise<unknown>;
}): SegmentChunkSender {
  return {
    async send({ segmentStartId, after }) {
      await queue.send({ v: 1, segmentStartId, after });
    },
  };
}
