import { toHex } from './encoding';

/**
 * The advisory lock keys of a provider account, named by a channel's credentials: one per
 * credential value (trimmed, as providers read them), so that two channels sharing any of them
 * (one Telegram bot token, one Viber auth token, one LINE channel's access token or secret)
 * share a key. Connecting a channel reads the account's one webhook and then sets it
 * (edge/channels/webhook-takeover.ts); two channels connecting one bot at the same instant
 * would both read it unset and both set it, and the one set first would silently stop
 * receiving. Holding these keys (`lockKeys`) around each connect and release makes the second
 * read what the first set (api/channel-connection.ts).
 *
 * A key is a SHA-256 digest of the provider and the value, not the value: the key travels as a
 * statement parameter, which a server's statement log may keep, and shows in `pg_locks`.
 */
export async function accountLockKeys(
  provider: string,
  credentials: Record<string, unknown>,
): Promise<string[]> {
  const values = new Set(
    Object.values(credentials)
      .filter((value): value is string => typeof value === 'string')
      .map((value) => value.trim())
      .filter((value) => value !== ''),
  );
  return Promise.all(
    [...values].map(async (value) => {
      const digest = await crypto.subtle.digest(
        'SHA-256',
        new TextEncoder().encode(`${provider}\n${value}`),
      );
      return `provider-account:${toHex(new Uint8Array(digest))}`;
    }),
  );
}
