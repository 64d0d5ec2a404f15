/** The dispatch queue (wrangler.toml `[[queues.consumers]]`). */
export const DISPATCH_QUEUE_NAME = 'sendflow-dispatch';

/** Where the dispatch queue sends messages it gave up on (its `dead_letter_queue`). */
export const DEAD_LETTER_QUEUE_NAME = 'sendflow-dispatch-dlq';
