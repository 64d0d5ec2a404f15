import { type SQL, sql } from 'drizzle-orm';

/**
 * A contact's last interacted channel is the channel of their most recent interaction, however
 * it was learnt (an inbound message, an identity's last inbound time set through the API, the
 * API setting it outright): an interaction replaces it only when it is at least as recent as
 * the one it came from (`contacts.last_interacted_at`). Messages that arrive late, or a
 * backfilled identity, never move it back.
 */
export function isMoreRecentInteraction(lastInteractedAt: SQL | unknown, at: SQL | unknown): SQL {
  return sql`(${lastInteractedAt} is null or ${lastInteractedAt} <= ${at})`;
}
