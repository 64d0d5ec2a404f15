/**
 * The Durable Object classes wrangler.toml declares (`durable_objects`): the EventHub (live
 * partner events, one per workspace) and the ChannelPacer (send rates, one per channel).
 * wrangler refuses to bundle an entry that does not export every one of them, so each Worker
 * entry built with wrangler.toml (edge/worker.ts, the test entries) re-exports this module,
 * whether or not it binds them.
 */
export { EventHub } from './events/hub';
export { ChannelPacer } from './pacing/pacer';
