import { sql } from 'drizzle-orm';
import { Hono, type MiddlewareHandler } from 'hono';
import { createApi } from '../../api/server';
import type { Database } from '../../db/client';
import { queueSender } from '../dispatch/enqueue';
import { log } from '../log';
import type { MediaBucket } from '../media/bucket';
import { callbackRoutes } from './callback-routes';
import { withDatabase } from './database-middleware';
import { type Config, ConfigError, type Env, parseConfig } from './env';
import { mediaRoutes } from './media-routes';
import { requestLog } from './request-log';
import { refuseOversizeUploads } from './upload-limit';

/** Hono's type parameters for this Worker: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; config: Config; db: Database };
}

/** Where GraphQL is served (and GraphiQL, outside production). */
export const GRAPHQL_PATH = '/graphql';

/** Parses and checks the bindings once per request; a misconfigured Worker fails loudly. */
function withConfig(): MiddlewareHandler<AppEnv> {
  return async function configMiddleware(c, next) {
    c.set('config', parseConfig(c.env));
    await next();
  };
}

/**
 * The Worker's HTTP app: `/health` for load balancers and uptime checks, `/graphql` for the API
 * (api/server.ts), whose Yoga server is built per request from the bindings, as Yoga's
 * Cloudflare Workers example does (nothing outlives the request that created it), and the
 * providers' callback routes (callback-routes.ts), and signed media links (media-routes.ts).
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestLog());
  app.use(withConfig());

  app.get('/health', withDatabase(), async function health(c) {
    try {
      await c.var.db.execute(sql`select 1`);
      return c.json({ ok: true, db: 'ok' });
    } catch (error) {
      log('error', 'health check: database unreachable', { requestId: c.var.requestId, error });
      return c.json({ ok: false, db: 'unreachable' }, 503);
    }
  });

  app.all(GRAPHQL_PATH, refuseOversizeUploads(), withDatabase(), async function graphql(c) {
    const { config } = c.var;
    const yoga = createApi({
      db: c.var.db,
      credentialsKey: config.credentialsKey,
      production: config.production,
      allowPrivateUrls: config.allowPrivateUrls,
      graphqlEndpoint: GRAPHQL_PATH,
      dispatch: c.env.DISPATCH_QUEUE ? queueSender(c.env.DISPATCH_QUEUE) : undefined,
      providerEndpoints: config.providerEndpoints,
      publicUrl: config.publicUrl,
      mediaBucket: c.env.MEDIA_BUCKET as MediaBucket | undefined,
    });
    return yoga.fetch(c.req.raw, { env: c.env, ctx: c.executionCtx });
  });

  callbackRoutes(app);
  mediaRoutes(app);

  app.notFound((c) => c.json({ error: 'Not found' }, 404));

  app.onError(function serverError(error, c) {
    const requestId = c.get('requestId');
    if (error instanceof ConfigError) {
      // The problems name bindings, never their values; clients only learn that it is our fault.
      log('error', error.message, { requestId, problems: error.problems });
      return c.json({ error: 'The server is misconfigured', requestId }, 500);
    }
    log('error', 'unhandled error', { requestId, error });
    return c.json({ error: 'Internal server error', requestId }, 500);
  });

  return app;
}
