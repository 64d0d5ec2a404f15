import { sql } from 'drizzle-orm';
import { Hono, type MiddlewareHandler } from 'hono';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../../api/db-availability';
import { type ApiServer, createApi } from '../../api/server';
import { hubPublisher } from '../events/hub-publisher';
import { log } from '../log';
import type { MediaBucket } from '../media/bucket';
import { segmentQueueSender } from '../segments/message';
import { withWebhookFanout } from '../webhooks/publisher';
import { callbackRoutes } from './callback-routes';
import { corsOnHostResponses } from './cors';
import { withDatabase } from './database-middleware';
import { dispatchSender } from './dispatch-sender';
import { type AppEnv, type Config, ConfigError, type Env, parseConfig } from './env';
import { mediaRoutes } from './media-routes';
import { requestLog } from './request-log';
import { streamRoute } from './stream-route';
import { refuseOversizeUploads } from './upload-limit';

/** Where GraphQL is served (and GraphiQL, outside production). */
export const GRAPHQL_PATH = '/graphql';

/** Parses and checks the bindings once per request; a misconfigured Worker fails loudly. */
function withConfig(): MiddlewareHandler<AppEnv> {
  return async function configMiddleware(c, next) {
    c.set('config', parseConfig(c.env));
    await next();
  };
}

/** One API server per bindings object: workerd hands an isolate's requests the same `env`. */
const apis = new WeakMap<Env, ApiServer>();

function apiFor(env: Env, config: Config): ApiServer {
  let yoga = apis.get(env);
  if (!yoga) {
    yoga = createApi({
      credentialsKey: config.credentialsKey,
      production: config.production,
      allowPrivateUrls: config.allowPrivateUrls,
      graphqlEndpoint: GRAPHQL_PATH,
      dispatch: env.DISPATCH_QUEUE ? dispatchSender(env) : undefined,
      segments: env.SEGMENT_QUEUE ? segmentQueueSender(env.SEGMENT_QUEUE) : undefined,
      events: withWebhookFanout(
        env.EVENT_HUB ? hubPublisher(env.EVENT_HUB) : undefined,
        env.WEBHOOK_QUEUE,
      ),
      webhookQueue: env.WEBHOOK_QUEUE,
      providerEndpoints: config.providerEndpoints,
      publicUrl: config.publicUrl,
      mediaBucket: env.MEDIA_BUCKET as MediaBucket | undefined,
    });
    apis.set(env, yoga);
  }
  return yoga;
}

/**
 * The Worker's HTTP app: `/health` for load balancers and uptime checks, `/graphql` for the API
 * (api/server.ts), the providers' callback routes (callback-routes.ts), signed media links
 * (media-routes.ts) and the partners' event stream (stream-route.ts).
 *
 * The API's Yoga server is built once per isolate and set of bindings (apiFor), not per request:
 * its parsed-document cache and response cache (api/response-cache.ts) live as long as it does.
 * Nothing per request outlives the request: the database, whose connections belong to one
 * invocation, is handed to each request in Yoga's server context.
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
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return c.json({ ok: false, db: 'unreachable' }, 503);
    }
  });

  app.all(
    GRAPHQL_PATH,
    corsOnHostResponses(),
    refuseOversizeUploads(),
    withDatabase(),
    async function graphql(c) {
      const yoga = apiFor(c.env, c.var.config);
      return yoga.fetch(c.req.raw, { env: c.env, ctx: c.executionCtx, db: c.var.db });
    },
  );

  callbackRoutes(app);
  mediaRoutes(app);
  streamRoute(app);

  app.notFound((c) => c.json({ error: 'Not found' }, 404));

  app.onError(function serverError(error, c) {
    const requestId = c.get('requestId');
    if (error instanceof ConfigError) {
      // The problems name bindings, never their values; clients only learn that it is our fault.
      log('error', error.message, { requestId, problems: error.problems });
      return c.json({ error: 'The server is misconfigured', requestId }, 500);
    }
    if (isDatabaseUnavailable(error)) {
      log('warn', 'database unavailable', { requestId, error });
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return c.json(
        { error: 'The database is busy or unavailable; retry shortly', requestId },
        503,
      );
    }
    log('error', 'unhandled error', { requestId, error });
    return c.json({ error: 'Internal server error', requestId }, 500);
  });

  return app;
}
