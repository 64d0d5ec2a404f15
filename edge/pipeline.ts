/**
 * What the API (api/) may use of the send pipeline, in one place: enqueueing runs it has
 * committed, sending a segment start's first chunk, the timing of a run's entry step, and a dry run of one send for previews. The
 * pipeline's internals (claims, records, routing, the batch library) stay behind it.
 */
export { type DispatchSender, enqueueRuns } from './dispatch/enqueue';
export { type PreviewInput, previewSend } from './dispatch/preview';
export { entryDelaySeconds } from './dispatch/route';
export { publishQuietly } from './events/publish';
export {
  EVENT_TYPES,
  type EventPublisher,
  type EventType,
  type LiveEvents,
  loggedEventFromRow,
  type PartnerEvent,
} from './events/types';
export type { RenderedMessage } from './render/types';
export { type SegmentChunkSender, segmentQueueSender } from './segments/message';
