import { jwtVerify } from 'jose';
import { constantTimeEqual, toHex } from '../../../db/encoding';

/**
 * Vonage signs the Messages API's webhooks with a JWT in `Authorization: Bearer …`, HS256 with
 * the account's signature secret, whose `payload_hash` claim is the hex SHA-256 of the raw body
 * and whose `iat` says when it was signed (Vonage docs, "Messages API: Signed webhooks":
 * verify the signature, then compare the payload hash, then check `iat` is recent to refuse a
 * replayed request). `jose` checks the JWT (alg pinned to HS256, constant-time MAC compare).
 */

/** How old a webhook's `iat` may be before it is taken for a replay (with clock skew). */
export const MAX_WEBHOOK_AGE_SECONDS = 5 * 60;

const encoder = new TextEncoder();

async function sha256Hex(body: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', body)));
}

/** `ok`, `missing` (no bearer token) or `invalid` (bad signature, other body, stale or future). */
export async function verifyVonageWebhook(
  signatureSecret: string,
  authorization: string | null,
  body: Uint8Array<ArrayBuffer>,
  now: Date,
): Promise<'ok' | 'missing' | 'invalid'> {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return 'missing';
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, encoder.encode(signatureSecret), {
      algorithms: ['HS256'],
      currentDate: now,
    }));
  } catch {
    return 'invalid';
  }
  const hash = claims.payload_hash;
  if (typeof hash !== 'string' || !constantTimeEqual(hash.toLowerCase(), await sha256Hex(body))) {
    return 'invalid';
  }
  const issuedAt = claims.iat;
  const age = typeof issuedAt === 'number' ? now.getTime() / 1000 - issuedAt : Number.NaN;
  if (!(age <= MAX_WEBHOOK_AGE_SECONDS && age >= -MAX_WEBHOOK_AGE_SECONDS)) return 'invalid';
  return 'ok';
}
