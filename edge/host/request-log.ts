import type { MiddlewareHandler } from 'hono';
import { log } from '../log';

/**
 * Logs one JSON line per request (method, path, status, duration) under a request id: Cloudflare's
 * `cf-ray` when present, so a line can be matched with Cloudflare's own logs, else a fresh UUID.
 * The id is also returned as `x-request-id` and kept in `c.var.requestId` for other lines.
 */
export function requestLog(): MiddlewareHandler<{ Variables: { requestId: string } }> {
  return async function requestLogMiddleware(c, next) {
    const started = Date.now();
    const requestId = c.req.header('cf-ray') ?? crypto.randomUUID();
    c.set('requestId', requestId);
    await next();
    c.header('x-request-id', requestId);
    const status = c.res.status;
    log(status >= 500 ? 'error' : 'info', 'request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Date.now() - started,
    });
  };
}
