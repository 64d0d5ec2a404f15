import type {
  ExportedHandler,
  ExportedHandlerFetchHandler,
  Response as WorkerResponse,
} from '@cloudflare/workers-types/latest';
import { createApp } from './host/app';

// The Durable Object classes wrangler.toml declares: exported from the entry.
export * from './durable-objects';

import type { Env } from './host/env';
import { queue, scheduled } from './host/handlers';

const app = createApp();

/**
 * Hono types its handler with the DOM `Request`/`Response` from our tsconfig's lib, workers-types
 * with workerd's own declarations of the same runtime objects; only the declarations differ.
 */
const fetch: ExportedHandlerFetchHandler<Env> = (request, env, ctx) =>
  app.fetch(request as unknown as Request, env, ctx) as unknown as Promise<WorkerResponse>;

/**
 * The Worker entry (wrangler.toml `main`). One object holding every handler the platform calls:
 * `fetch` for HTTP, `queue` for the dispatch queue and its dead letter queue, and `scheduled`
 * for the cron sweep (edge/host/handlers.ts).
 */
export default {
  fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env>;
