/**
 * Contacts per chunk: one chunk is one statement inserting this many runs and their events,
 * then this many dispatch messages (ENQUEUE_CHUNK_SIZE per sendBatch). A few hundred ms of
 * wall time and a few tens of ms of CPU per invocation, far from Workers' limits, while a
 * 100,000-contact start is 100 messages.
 */
export const SEGMENT_CHUNK_SIZE = 1000;

/**
 * A running segment start whose last chunk committed longer ago than this has lost its next
 * message (the invocation died between its commit and its send): the sweep sends it again.
 * A duplicate is harmless: a chunk proceeds only from the cursor it names.
 */
export const SEGMENT_IDLE_SECONDS = 5 * 60;
