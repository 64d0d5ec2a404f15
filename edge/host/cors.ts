import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';

/**
 * Gives the responses the host itself makes on a Yoga route (the 413 of refuseOversizeUploads,
 * the 500/503 of `app.onError`) the CORS headers Yoga gives its own: Yoga's default policy
 * (api/server.ts sets no `cors` option), which lets any origin read the response and send
 * credentials. Without them a browser frontend sees only a network error instead of the status
 * and the GraphQL error body (Fetch standard, "CORS check": a response without
 * `Access-Control-Allow-Origin` is a network error to cross-origin script). Responses that
 * already carry the header (everything Yoga answers, preflights included) are left as they are.
 */
export function corsOnHostResponses(): MiddlewareHandler<AppEnv> {
  return async function corsMiddleware(c, next) {
    await next();
    const origin = c.req.header('origin');
    if (!origin || c.res.headers.has('access-control-allow-origin')) return;
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Access-Control-Allow-Credentials', 'true');
    c.header('Vary', 'Origin', { append: true });
  };
}
