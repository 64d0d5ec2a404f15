import type { Hono } from 'hono';
import { authenticate, bearerToken } from '../../api/auth';
import { PRINCIPAL_HEADER, STREAM_PATH } from '../events/hub-protocol';
import { openDatabase } from './database';
import type { AppEnv } from './env';

/**
 * `/graphql/stream`: GraphQL subscriptions over SSE (edge/events/hub.ts). The Worker checks the
 * API key (any scope: read-only partner keys may subscribe), then hands the request to the
 * caller's workspace's EventHub with the principal attached; the database connection used for
 * the check is released at once instead of living as long as the stream.
 */
export function streamRoute(app: Hono<AppEnv>): void {
  app.all(STREAM_PATH, async function graphqlStream(c) {
    const { db, close } = openDatabase(c.var.config);
    let principal: Awaited<ReturnType<typeof authenticate>>;
    try {
      principal = await authenticate(db, bearerToken(c.req.header('authorization') ?? null));
    } finally {
      c.executionCtx.waitUntil(close());
    }
    if (!principal) {
      return c.json(
        {
          errors: [
            {
              message: 'A valid API key is required (Authorization: Bearer <key>)',
              extensions: { code: 'UNAUTHENTICATED' },
            },
          ],
        },
        401,
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    const namespace = c.env.EVENT_HUB;
    if (!namespace) return c.json({ error: 'Subscriptions are not configured (EVENT_HUB)' }, 503);
    const headers = new Headers(c.req.raw.headers);
    headers.delete('authorization');
    headers.set(PRINCIPAL_HEADER, JSON.stringify({ ...principal, scopes: [...principal.scopes] }));
    const hub = namespace.get(namespace.idFromName(principal.workspaceId));
    const forwarded = new Request(c.req.raw, { headers });
    return (await hub.fetch(forwarded as never)) as unknown as Response;
  });
}
