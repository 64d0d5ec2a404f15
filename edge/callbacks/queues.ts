/** The callbacks queue: provider callbacks' events, processed away from the request. */
export const CALLBACK_QUEUE_NAME = 'sendflow-callbacks';

/** Where it puts events it gave up on, kept for inspection and replay. */
export const CALLBACK_DEAD_LETTER_QUEUE_NAME = 'sendflow-callbacks-dlq';
