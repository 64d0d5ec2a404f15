import { createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type { GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from './auth';

/**
 * The API's response cache: whole query results kept in the isolate's memory, keyed by the
 * document, its variables and the caller's session: workspace, **workspace revision**, scopes
 * and origin. The revision is read with the API key on every request (api/auth.ts) and every
 * write to a table the cached fields read bumps it in the writing transaction
 * (db/revision-triggers.ts), so a response cached by any isolate is served only while no write
 * to its workspace has committed since: correct across isolates with nothing to invalidate.
 * Another workspace's responses sit under another session and are never served.
 *
 * Only queries whose root fields are in CACHED_QUERY_FIELDS are cached; every other root field
 * has a TTL of 0, so an operation selecting one is executed every time. api/response-cache.test.ts
 * walks the schema from these fields and fails when one reaches a type read from a table
 * without revision triggers. Mutations are never cached; results with errors are not either.
 */

/** Root query fields whose whole subtree is built from tables with revision triggers. */
export const CACHED_QUERY_FIELDS = [
  'workspace',
  'workflows',
  'workflow',
  'channels',
  'channel',
  'files',
  'snippets',
] as const;

/** Responses kept per isolate; least recently used go first (a listing is ~50 KB). */
export const RESPONSE_CACHE_ENTRIES = 500;
/** A cached response is dropped after this long even if its revision is still current. */
export const RESPONSE_CACHE_TTL_MS = 10 * 60_000;

/** `Query.<field>`: 0 for every root field outside CACHED_QUERY_FIELDS. */
function uncachedRootFields(schema: GraphQLSchema): Record<string, number> {
  const cached = new Set<string>(CACHED_QUERY_FIELDS);
  const fields = Object.keys(schema.getQueryType()?.getFields() ?? {});
  return Object.fromEntries(
    fields.filter((field) => !cached.has(field)).map((field) => [`Query.${field}`, 0]),
  );
}

/** The cache key's session part for an authenticated request; null before authentication. */
function sessionOf(principal: Principal, request: Request): string {
  // The origin appears in channels' callback URLs when no PUBLIC_URL is configured.
  const origin = new URL(request.url).origin;
  const scopes = [...principal.scopes].sort().join(',');
  return `${principal.workspaceId}:${principal.revision}:${scopes}:${origin}`;
}

/** The plugin, for one Yoga server (one per isolate: the cache lives as long as it does). */
export function useWorkspaceResponseCache(
  schema: GraphQLSchema,
  principals: WeakMap<Request, Principal>,
): Plugin {
  return useResponseCache({
    cache: createInMemoryCache({ max: RESPONSE_CACHE_ENTRIES }),
    ttl: RESPONSE_CACHE_TTL_MS,
    ttlPerSchemaCoordinate: uncachedRootFields(schema),
    // Only authenticated requests: no principal means no session, which the plugin would
    // otherwise treat as one global session (and its ETag check runs before authentication).
    enabled: (request) => principals.has(request),
    session: (request) => {
      const principal = principals.get(request);
      return principal ? sessionOf(principal, request) : null;
    },
    // The revision makes every entry of the workspace stale on a write, in every isolate. The
    // plugin's own invalidation (this isolate only) stays on because it is also what keeps
    // mutation results out of the cache: with it off, a repeated mutation would be answered
    // from the cache instead of running.
    invalidateViaMutation: true,
    includeExtensionMetadata: false,
  });
}
