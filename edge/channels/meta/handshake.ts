import { constantTimeEqual } from '../../../db/encoding';

/**
 * Meta's subscription handshake: when a callback URL is configured, Meta sends a GET with
 * `hub.mode=subscribe`, `hub.verify_token` (the token entered in the dashboard) and
 * `hub.challenge`, and expects the challenge back with a 200 (Graph API, Webhooks, "Getting
 * Started: Verification Requests"). Anything else is refused, so nobody can subscribe our
 * endpoint without the channel's verify token.
 */
export function answerSubscribeHandshake(
  query: URLSearchParams,
  verifyToken: string | null,
): { status: 200; body: string } | { status: 403; body: string } {
  const mode = query.get('hub.mode');
  const token = query.get('hub.verify_token');
  const challenge = query.get('hub.challenge');
  if (
    mode !== 'subscribe' ||
    !challenge ||
    !token ||
    !verifyToken ||
    !constantTimeEqual(token, verifyToken)
  ) {
    return { status: 403, body: 'verification failed' };
  }
  return { status: 200, body: challenge };
}
