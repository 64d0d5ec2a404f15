import { sql } from 'drizzle-orm';
import { canonicalPhone } from '../workflow/phone-equivalents';
import type { Database } from './client';

/**
 * The advisory lock that orders every write of an address's contact identity: inbound messages
 * from it (edge/callbacks/inbound.ts), which find or create the sender's contact and identity,
 * and `upsertContactIdentity` (api/schema/contact-identity.ts), which gives a contact an
 * identity. Without one lock for both, an identity given through the API while that address's
 * first message was being recorded made the message's sender a second contact.
 *
 * Keyed by the address alone, not the channel, because a new sender is matched (or created) by
 * phone or e-mail across the workspace's channels: the same person writing on two phone
 * channels at once must not become two contacts. (Scoped ids such as PSIDs only ever meet
 * themselves, so the wider lock costs nothing.) An e-mail address is one mailbox in any letter
 * case, and a phone number is locked in its canonical form, so that its equivalent forms (a
 * Mexican WhatsApp id with the old mobile 1 on WhatsApp and today's number on SMS:
 * workflow/phone-equivalents.ts) wait for each other too.
 */
export function addressLockKey(address: string): string {
  return `inbound:${canonicalPhone(address).toLowerCase()}`;
}

/**
 * Takes the advisory locks of `keys` for the transaction, sorted so that none can deadlock
 * (addresses' keys, `addressLockKey`; provider accounts', db/account-locks.ts).
 */
export async function lockKeys(db: Database, keys: readonly string[]): Promise<void> {
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(k, 0))
        from unnest(${sql.param([...new Set(keys)].sort())}::text[]) as k order by k`,
  );
}

/** `lockKeys` for the keys of addresses (`addressLockKey`). */
export const lockAddresses = lockKeys;
