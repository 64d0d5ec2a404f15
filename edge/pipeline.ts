/**
 * What the API (api/) may use of the send pipeline, in one place: enqueueing runs it has
 * committed, sending a segment start's first chunk, how a cancelled run's retry-waiting
 * delivery fails, the timing of a run's entry step, a dry run of one send for previews (and
 * its email as a browser shows it), the events a start publishes, and what partner webhooks
 * need (secrets, the URL rules, replays).
 * The pipeline's internals (claims, records, routing, the batch library) stay behind it.
 */
export { failQueuedDeliveries } from './dispatch/cancelled';
export { type DispatchSender, enqueueRuns } from './dispatch/enqueue';
export { type PreviewInput, previewSend } from './dispatch/preview';
export { entryDelaySeconds } from './dispatch/route';
export { publishQuietly } from './events/publish';
export { runStartedEvents } from './events/run-started';
export {
  EVENT_TYPES,
  type EventPublisher,
  type EventType,
  type LiveEvents,
  loggedEventFromRow,
  type PartnerEvent,
} from './events/types';
export { browserHtml } from './render/preview-html';
export type { RenderedMessage } from './render/types';
export { checkOutboundUrl } from './security/outbound-url';
export { generateSigningSecret } from './security/standard-webhooks';
export { type SegmentChunkSender, segmentQueueSender } from './segments/message';
export { MAX_PREVIOUS_SECRETS, REPLAY_LIMIT } from './webhooks/limits';
export type { WebhookQueue } from './webhooks/queue';
export { replayEndpoint, replayMessage } from './webhooks/replay';
export {
  decryptSecret,
  encryptPreviousSecrets,
  encryptSecret,
  type PreviousSecret,
  previousSecrets,
} from './webhooks/secrets';
