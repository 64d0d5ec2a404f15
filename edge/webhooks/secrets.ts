import type { CredentialCipher } from '../../db/credentials';
import { signStandardWebhook } from '../security/standard-webhooks';

/**
 * An endpoint's signing secrets as stored: the current one, and the earlier ones whose
 * rotation grace periods have not ended. All are encrypted with CREDENTIALS_KEY
 * (db/credentials.ts). `previousSecretCiphertext` holds the earlier secrets together, each
 * with the end of its grace period (`{ previous: [{ secret, expiresAt }] }`), and
 * `previousSecretExpiresAt` the latest of those ends. Written before rotations kept more than
 * one, it holds one secret (`{ secret }`) whose grace ends at `previousSecretExpiresAt`.
 */
export interface StoredSecrets {
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
}

/** An earlier secret, and when its grace period ends. */
export interface PreviousSecret {
  secret: string;
  expiresAt: Date;
}

type PreviousPayload = { previous: { secret: string; expiresAt: string }[] } | { secret: string };

/** The encrypted form of a `whsec_` secret, as `webhook_endpoints` stores it. */
export function encryptSecret(cipher: CredentialCipher, secret: string): Promise<string> {
  return cipher.encrypt({ secret });
}

export async function decryptSecret(cipher: CredentialCipher, ciphertext: string): Promise<string> {
  return (await cipher.decrypt<{ secret: string }>(ciphertext)).secret;
}

/** The earlier secrets whose grace periods end after `now`, as stored (latest first). */
export async function previousSecrets(
  cipher: CredentialCipher,
  stored: StoredSecrets,
  now: Date,
): Promise<PreviousSecret[]> {
  const { previousSecretCiphertext: ciphertext, previousSecretExpiresAt: latest } = stored;
  if (!ciphertext || !latest || latest.getTime() <= now.getTime()) return [];
  const payload = await cipher.decrypt<PreviousPayload>(ciphertext);
  const all =
    'previous' in payload
      ? payload.previous.map((entry) => ({
          secret: entry.secret,
          expiresAt: new Date(entry.expiresAt),
        }))
      : [{ secret: payload.secret, expiresAt: latest }];
  return all.filter((entry) => entry.expiresAt.getTime() > now.getTime());
}

/** The stored form of earlier secrets (`previousSecretCiphertext`, `previousSecretExpiresAt`). */
export async function encryptPreviousSecrets(
  cipher: CredentialCipher,
  previous: readonly PreviousSecret[],
): Promise<{ previousSecretCiphertext: string | null; previousSecretExpiresAt: Date | null }> {
  if (previous.length === 0)
    return { previousSecretCiphertext: null, previousSecretExpiresAt: null };
  const sorted = [...previous].sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime());
  return {
    previousSecretCiphertext: await cipher.encrypt({
      previous: sorted.map((entry) => ({
        secret: entry.secret,
        expiresAt: entry.expiresAt.toISOString(),
      })),
    }),
    previousSecretExpiresAt: sorted[0]!.expiresAt,
  };
}

/** The secrets that sign a message sent at `now`: the current one first. */
export async function signingSecrets(
  cipher: CredentialCipher,
  stored: StoredSecrets,
  now: Date,
): Promise<string[]> {
  const [current, previous] = await Promise.all([
    decryptSecret(cipher, stored.secretCiphertext),
    previousSecrets(cipher, stored, now),
  ]);
  return [current, ...previous.map((entry) => entry.secret)];
}

/**
 * The Standard Webhooks headers for one message, signed with every secret given: the
 * specification's `webhook-signature` is a space-separated list, and receivers accept the
 * message when any entry verifies (how rotation works without downtime).
 */
export async function signedHeaders(
  secrets: readonly string[],
  id: string,
  sentAt: Date,
  body: string,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(sentAt.getTime() / 1000);
  const signatures = await Promise.all(
    secrets.map((secret) => signStandardWebhook(secret, id, timestamp, body)),
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}
