import type {
  ExportedHandler,
  ExportedHandlerFetchHandler,
  Response as WorkerResponse,
} from '@cloudflare/workers-types/latest';
import { createApp } from './app';
import type { Env } from './env';

const app = createApp();

/**
 * Hono types its handler with the DOM `Request`/`Response` from our tsconfig's lib, workers-types
 * with workerd's own declarations of the same runtime objects; only the declarations differ.
 */
const fetch: ExportedHandlerFetchHandler<Env> = (request, env, ctx) =>
  app.fetch(request as unknown as Request, env, ctx) as unknown as Promise<WorkerResponse>;

/**
 * The Worker entry (wrangler.toml `main`). One object holding every handler the platform calls:
 * `fetch` for HTTP; the queue consumer and the cron sweep are added here as `queue` and
 * `scheduled`.
 */
export default {
  fetch,
} satisfies ExportedHandler<Env>;
