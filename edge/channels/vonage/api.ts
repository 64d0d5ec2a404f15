import { importPKCS8, SignJWT } from 'jose';
import { isBusinessScopedUserId } from '../../../workflow/contact-fields';
import type { ProviderEndpoints } from '../types';

/**
 * Where Vonage's Messages API lives and how it is called: `POST https://api.nexmo.com/v1/messages`
 * with a JSON body, authenticated by a JWT the application signs with its private key (RS256,
 * claims `application_id`, `iat`, `jti`, `exp`: Vonage docs, "Authentication: JSON Web Tokens";
 * Messages API reference, "Send a message"). Basic auth with the account's API key and secret is
 * also accepted for sends, but "does not support webhooks", so channels use the application's
 * JWT. `VONAGE_API_URL` may point at a stand-in.
 *
 * The JWT is signed with `jose` (WebCrypto, runs in workerd and Node) rather than by hand:
 * PKCS#8 PEM parsing and JOSE encoding are easy to get subtly wrong.
 */

export const DEFAULT_VONAGE_API_URL = 'https://api.nexmo.com';
export const VONAGE_API_URL = 'VONAGE_API_URL';
export const VONAGE_API = 'Vonage';

/** How long a send's JWT is valid: one call, with room for clock skew. */
const JWT_LIFETIME = '5m';

export function vonageMessagesUrl(endpoints: ProviderEndpoints | undefined): string {
  const base = (endpoints?.[VONAGE_API_URL] ?? DEFAULT_VONAGE_API_URL).replace(/\/+$/, '');
  return `${base}/v1/messages`;
}

/** A JWT for one call as the application, or why the private key cannot sign one. */
export async function vonageJwt(
  applicationId: string,
  privateKeyPem: string,
  now: Date,
): Promise<{ ok: true; jwt: string } | { ok: false; detail: string }> {
  let key: CryptoKey;
  try {
    key = await importPKCS8(privateKeyPem, 'RS256');
  } catch {
    return { ok: false, detail: 'the private key is not a PKCS#8 PEM RSA key' };
  }
  const jwt = await new SignJWT({ application_id: applicationId })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setJti(crypto.randomUUID())
    .setExpirationTime(JWT_LIFETIME)
    .sign(key);
  return { ok: true, jwt };
}

/** Vonage writes numbers as E.164 without the `+` ("Send a message": `to`, `from`). */
export function vonageNumber(e164: string): string {
  return e164.replace(/^\+/, '');
}

/**
 * The `to` of a send: a phone as Vonage writes numbers, or on WhatsApp a business-scoped user ID
 * exactly as it is. "The `to` field now accepts either a phone number or a BSUID for WhatsApp
 * recipients", e.g. `"to": "US.13491208655302741918"`; "always include the full value - country
 * code prefix, period, and all alphanumeric characters" (Vonage docs, "Handling WhatsApp
 * Usernames and BSUIDs": Update Your Send Message Requests).
 */
export function vonageRecipient(address: string): string {
  return isBusinessScopedUserId(address) ? address : vonageNumber(address);
}
