import { toHex } from '../../../db/encoding';
import { callProvider, isSuccess } from '../http/classify';
import type { ProviderEndpoints, SendOutcome } from '../types';
import { googleTokenUrl } from './endpoints';
import { classifyGoogleAnswer, type GoogleFailureTable } from './errors';

/**
 * Access tokens for Google APIs from an OAuth 2.0 refresh token (Using OAuth 2.0 for Web
 * Server Applications, "Refreshing an access token (offline access)"): `POST /token` with
 * `client_id`, `client_secret`, `refresh_token` and `grant_type=refresh_token`, answered with
 * `{ access_token, expires_in, scope, token_type }`. Tokens are cached per credentials until
 * shortly before they expire, so a batch of sends asks Google once, not once per message.
 */

/** Who answers, in failure details. */
export const GOOGLE_OAUTH = 'Google OAuth';

/** The client and the user's grant. */
export interface GoogleCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** An access token and what it may do. */
export interface AccessToken {
  accessToken: string;
  /** Epoch milliseconds after which the token is no longer used. */
  expiresAt: number;
  /** The scopes granted (the answer's `scope`, space-separated). */
  scopes: string[];
}

/** Where and how long token requests may call. */
export interface TokenContext {
  endpoints?: ProviderEndpoints;
  timeoutMs: number;
  now?: () => Date;
}

/**
 * Token endpoint errors (RFC 6749 §5.2 as Google answers them). A revoked or expired refresh
 * token is `invalid_grant`, which no retry fixes: the channel needs a new grant, and is put in
 * ERROR (as a wrong or unauthorised client is) until its credentials are entered again.
 */
export const GOOGLE_OAUTH_FAILURES: GoogleFailureTable = [
  {
    error: 'invalid_grant',
    reason: 'credentials_rejected',
    transient: false,
    channelError: true,
    doc: 'Using OAuth 2.0 to Access Google APIs, "Refresh token expiration": invalid_grant (revoked, expired or password changed)',
  },
  {
    error: 'invalid_client',
    reason: 'credentials_rejected',
    transient: false,
    channelError: true,
    doc: 'RFC 6749 §5.2 invalid_client (unknown client id or wrong client secret)',
  },
  {
    error: 'unauthorized_client',
    reason: 'credentials_rejected',
    transient: false,
    channelError: true,
    doc: 'RFC 6749 §5.2 unauthorized_client (the client may not use this grant)',
  },
];

/** Seconds before expiry at which a cached token is refreshed instead of used. */
const EXPIRY_MARGIN_SECONDS = 60;
/** Lifetime assumed when Google omits `expires_in` (its tokens last an hour). */
const DEFAULT_EXPIRES_IN_SECONDS = 3600;
/** Most credentials kept in the cache; the oldest entry goes first. */
const MAX_CACHED_TOKENS = 500;

/** Cache key → token (or the refresh under way), per isolate. */
const cache = new Map<string, Promise<TokenResult>>();

/** A token, or the outcome of a send that cannot get one. */
export type TokenResult = { ok: true; token: AccessToken } | { ok: false; outcome: SendOutcome };

/** Keys the cache by a digest, so the cache never holds the secrets themselves as keys. */
async function cacheKey(credentials: GoogleCredentials, endpoints?: ProviderEndpoints) {
  const material = [
    googleTokenUrl(endpoints),
    credentials.clientId,
    credentials.clientSecret,
    credentials.refreshToken,
  ].join('\n');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(material));
  return toHex(new Uint8Array(digest));
}

function parseToken(body: string, now: Date): AccessToken | null {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') return null;
    const expiresIn =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0
        ? parsed.expires_in
        : DEFAULT_EXPIRES_IN_SECONDS;
    return {
      accessToken: parsed.access_token,
      expiresAt: now.getTime() + (expiresIn - EXPIRY_MARGIN_SECONDS) * 1000,
      scopes: typeof parsed.scope === 'string' ? parsed.scope.split(' ').filter(Boolean) : [],
    };
  } catch {
    return null;
  }
}

async function requestToken(
  credentials: GoogleCredentials,
  context: TokenContext,
): Promise<TokenResult> {
  const call = await callProvider(
    googleTokenUrl(context.endpoints),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        refresh_token: credentials.refreshToken,
        grant_type: 'refresh_token',
      }).toString(),
    },
    { who: GOOGLE_OAUTH, timeoutMs: context.timeoutMs },
  );
  if (!call.ok) return { ok: false, outcome: call.outcome };
  const now = context.now?.() ?? new Date();
  if (!isSuccess(call.answer)) {
    return {
      ok: false,
      outcome: classifyGoogleAnswer(call.answer, GOOGLE_OAUTH_FAILURES, GOOGLE_OAUTH, now),
    };
  }
  const token = parseToken(call.answer.body, now);
  return token
    ? { ok: true, token }
    : {
        ok: false,
        outcome: {
          status: 'failed',
          reason: 'network',
          detail: `${GOOGLE_OAUTH} answered without an access_token`,
          retryable: true,
        },
      };
}

/**
 * A valid access token for `credentials`: the cached one while it lasts, else a new one (one
 * request even when many sends ask at once). `fresh` drops the cached token first: Gmail
 * refused it (401), so it was revoked before it expired. Failures are not cached.
 */
export async function googleAccessToken(
  credentials: GoogleCredentials,
  context: TokenContext,
  { fresh = false }: { fresh?: boolean } = {},
): Promise<TokenResult> {
  const key = await cacheKey(credentials, context.endpoints);
  const nowMs = (context.now?.() ?? new Date()).getTime();
  const cached = fresh ? undefined : cache.get(key);
  if (cached) {
    const result = await cached;
    if (result.ok && result.token.expiresAt > nowMs) return result;
  }
  let pending = cache.get(key);
  if (!pending || pending === cached || fresh) {
    pending = requestToken(credentials, context);
    cache.delete(key);
    cache.set(key, pending);
    if (cache.size > MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value as string);
  }
  const result = await pending;
  if (!result.ok && cache.get(key) === pending) cache.delete(key);
  return result;
}
