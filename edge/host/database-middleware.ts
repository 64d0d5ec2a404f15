import type { MiddlewareHandler } from 'hono';
import { openDatabase } from './database';
import type { AppEnv } from './env';

/** Response types that stream for as long as the client listens (SSE subscriptions, @defer). */
const STREAMING_TYPES = ['text/event-stream', 'multipart/mixed'];

/**
 * Opens the invocation's database (edge/host/database.ts) and ends its pool when the response is
 * done: at once for ordinary responses, after the last chunk for streaming ones, and always
 * through `waitUntil` so that closing never delays the client.
 */
export function withDatabase(): MiddlewareHandler<AppEnv> {
  return async function databaseMiddleware(c, next) {
    const { db, close } = openDatabase(c.var.config);
    c.set('db', db);
    let closeNow = true;
    try {
      await next();
      const type = c.res.headers.get('content-type') ?? '';
      const body = c.res.body;
      if (body && STREAMING_TYPES.some((streaming) => type.startsWith(streaming))) {
        const { readable, writable } = new TransformStream();
        c.executionCtx.waitUntil(
          body
            .pipeTo(writable)
            .catch(() => undefined)
            .finally(close),
        );
        c.res = new Response(readable, c.res);
        closeNow = false;
      }
    } finally {
      if (closeNow) c.executionCtx.waitUntil(close());
    }
  };
}
