import type { CredentialCipher } from '../../db/credentials';
import { signStandardWebhook } from '../security/standard-webhooks';

/**
 * An endpoint's signing secrets as stored: the current one, and during a rotation's grace
 * period the previous one. Both are encrypted with CREDENTIALS_KEY (db/credentials.ts).
 */
export interface StoredSecrets {
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
}

/** The encrypted form of a `whsec_` secret, as `webhook_endpoints` stores it. */
export function encryptSecret(cipher: CredentialCipher, secret: string): Promise<string> {
  return cipher.encrypt({ secret });
}

async function decryptSecret(cipher: CredentialCipher, ciphertext: string): Promise<string> {
  return (await cipher.decrypt<{ secret: string }>(ciphertext)).secret;
}

/** The secrets that sign a message sent at `now`: the current one first. */
export async function signingSecrets(
  cipher: CredentialCipher,
  stored: StoredSecrets,
  now: Date,
): Promise<string[]> {
  const secrets = [await decryptSecret(cipher, stored.secretCiphertext)];
  if (
    stored.previousSecretCiphertext &&
    stored.previousSecretExpiresAt &&
    stored.previousSecretExpiresAt.getTime() > now.getTime()
  ) {
    secrets.push(await decryptSecret(cipher, stored.previousSecretCiphertext));
  }
  return secrets;
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
