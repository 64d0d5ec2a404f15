import type { GraphQLSchema } from 'graphql';
import {
  createGraphQLError,
  createYoga,
  type MaskError,
  maskError,
  type YogaServerInstance,
} from 'graphql-yoga';
import type { Database } from '../db/client';
import { CredentialCipher } from '../db/credentials';
import type { ProviderEndpoints } from '../edge/channels/types';
import { MAX_MULTIPART_BYTES, type MediaBucket, MediaLinkSigner } from '../edge/media';
import type {
  DispatchSender,
  EventPublisher,
  SegmentChunkSender,
  WebhookQueue,
} from '../edge/pipeline';
import type { Principal } from './auth';
import { builder } from './builder';
import type { ApiContext } from './context';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from './db-availability';
import { isMalformedValue } from './db-errors';
import { renderGraphiQLPage } from './graphiql-page';
import { hardeningPlugins, MAX_BATCH_SIZE } from './hardening';
import { useWorkspaceResponseCache } from './response-cache';
import './schema';
import { useApiKeyAuth } from './use-api-key-auth';
import { useClientErrors } from './use-client-errors';
import { useSpecStatus } from './use-spec-status';

/** What the API needs from its host (the Worker, the start script, tests). */
export interface ApiDeps {
  /**
   * The database of every request, unless the host passes one per request in the server
   * context (`yoga.fetch(request, { db })`), as the Worker does: its connections live for one
   * invocation while the server lives as long as the isolate.
   */
  db?: Database;
  /** Base64 32-byte AES key for channel credentials (see api/credentials.ts). */
  credentialsKey: string;
  /** Turns introspection and GraphiQL off. */
  production?: boolean;
  graphqlEndpoint?: string;
  /** Let channels point at loopback/private addresses (local development). Default: refused. */
  allowPrivateUrls?: boolean;
  /** Where started runs are enqueued (the Worker's queue binding); see edge/dispatch. */
  dispatch?: DispatchSender;
  /** Where segment starts send their first chunk (the Worker's segments queue binding). */
  segments?: SegmentChunkSender;
  /** Where logged partner events are published (the workspace's EventHub in the Worker). */
  events?: EventPublisher;
  /** The webhook queue (replays are enqueued there); absent, the sweep enqueues them later. */
  webhookQueue?: WebhookQueue;
  /** Provider API base URLs (`GRAPH_API_URL`…) for connection checks; default: real hosts. */
  providerEndpoints?: ProviderEndpoints;
  /** The public origin of callback URLs and media links; default: the request's origin. */
  publicUrl?: string;
  /** Where uploaded files are stored (the Worker's `MEDIA_BUCKET`); absent, uploads are refused. */
  mediaBucket?: MediaBucket;
  /** Keep query results in memory (api/response-cache.ts); default on. Off for benchmarks. */
  responseCache?: boolean;
}

/** What a host may pass per request as Yoga's server context. */
export interface ApiServerContext {
  db?: Database;
  [key: string]: unknown;
}

export type ApiServer = YogaServerInstance<ApiServerContext, ApiContext>;

const DEFAULT_ENDPOINT = '/graphql';

/**
 * Yoga's masking, except that a database that cannot take the request now (too many clients,
 * refused, the local proxy's wait ran out) is a 503 to retry, and a value Postgres refused as
 * malformed (e.g. an edited page cursor) is the client's bad input (BAD_USER_INPUT); neither
 * is an internal error.
 */
const maskUnexpectedError: MaskError = (error, message, isDev) => {
  // Resolver errors arrive wrapped in a GraphQLError; look at what was thrown.
  const original = (error as { originalError?: unknown } | null)?.originalError ?? error;
  if (isDatabaseUnavailable(original)) {
    // The request may be retried as is: 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3).
    return createGraphQLError('The database is busy or unavailable; retry shortly', {
      extensions: {
        code: 'SERVICE_UNAVAILABLE',
        http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
      },
    });
  }
  if (isMalformedValue(original)) {
    // Postgres refused a value as data (SQLSTATE class 22: out of range, bad format, bad
    // encoding): one the API's own checks let through, never something the server got wrong.
    return createGraphQLError('A value in the request is malformed or out of range', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return maskError(error, message, isDev);
};
/** What GraphiQL shows first: a query that works in a new workspace. */
const DEFAULT_GRAPHIQL_QUERY = `# Put your API key in the Authorization header below, then run this.
query Workspace {
  workspace { name timezone }
  workflows(first: 10) { nodes { id name status stepCount } }
}
`;
let schema: GraphQLSchema | undefined;

/** The GraphQL schema, built once per module instance (building walks every type). */
export function apiSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** Builds the GraphQL server: schema, API key auth and a per-request workspace context. */
export function createApi(deps: ApiDeps): ApiServer {
  const credentials = new CredentialCipher(deps.credentialsKey);
  const principals = new WeakMap<Request, Principal>();
  const databaseOf = (serverContext: ApiServerContext | undefined): Database => {
    const db = serverContext?.db ?? deps.db;
    if (!db) throw new Error('No database: pass ApiDeps.db or a per-request db');
    return db;
  };
  return createYoga<ApiServerContext, ApiContext>({
    schema: apiSchema(),
    graphqlEndpoint: deps.graphqlEndpoint ?? DEFAULT_ENDPOINT,
    // GraphiQL in development only; every request needs an API key, so the header editor starts
    // with the Authorization header to fill in (npm start prints the local key) and keeps it.
    graphiql: deps.production
      ? false
      : {
          title: 'Sendflow GraphQL',
          headers: JSON.stringify({ Authorization: 'Bearer <API key>' }, null, 2),
          shouldPersistHeaders: true,
          defaultQuery: DEFAULT_GRAPHIQL_QUERY,
        },
    // Every file from this origin (Workers Static Assets), none from a CDN: GraphiQL works offline.
    renderGraphiQL: renderGraphiQLPage,
    landingPage: false,
    batching: { limit: MAX_BATCH_SIZE },
    // Room for an upload at its kind's cap (25 MB is 26,214,400 bytes) and its framing; Yoga's
    // default, 25,000,000 bytes, refused uploads within the caps as an invalid request.
    maxRequestBodySize: MAX_MULTIPART_BYTES,
    // Anything thrown that is not a GraphQLError we raised on purpose reaches clients only as
    // "Unexpected error." (the original is logged); isDev stays off so details never leak.
    maskedErrors: { isDev: false, maskError: maskUnexpectedError },
    plugins: [
      // Status codes by the GraphQL over HTTP spec where Yoga departs from it (see the plugin).
      useSpecStatus(),
      useClientErrors(),
      useApiKeyAuth(databaseOf, principals),
      ...hardeningPlugins({ production: !!deps.production }),
      // A hit is served before parsing: only results without errors are cached, and the limits
      // judge the document and variables, which are the key (with scopes in the session).
      ...(deps.responseCache === false ? [] : [useWorkspaceResponseCache(apiSchema(), principals)]),
    ],
    context: function apiContext({ request, db }): ApiContext {
      const principal = principals.get(request);
      // onRequestParse always runs first; reaching here without a principal is a bug.
      if (!principal) throw new Error('Request reached execution without authentication');
      const publicOrigin = deps.publicUrl ?? new URL(request.url).origin;
      return {
        db: databaseOf({ db }),
        credentials,
        dispatch: deps.dispatch,
        ...(deps.segments ? { segments: deps.segments } : {}),
        events: deps.events,
        ...(deps.webhookQueue ? { webhookQueue: deps.webhookQueue } : {}),
        allowPrivateUrls: deps.allowPrivateUrls ?? false,
        providerEndpoints: deps.providerEndpoints ?? {},
        publicOrigin,
        ...(deps.mediaBucket ? { mediaBucket: deps.mediaBucket } : {}),
        mediaLinks: new MediaLinkSigner(deps.credentialsKey, publicOrigin),
        ...principal,
      };
    },
  });
}
