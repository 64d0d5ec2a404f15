// Worker types come from the *module* entry of @cloudflare/workers-types (`/latest` resolves to
// latest/index.ts, which exports its types) rather than from its ambient entry or a generated
// `worker-configuration.d.ts`: both of those declare globals (Request, Response, fetch, …) that
// clash with @types/node and the DOM lib in our single tsconfig, which Node scripts also use.
import type { DurableObjectNamespace, Queue, R2Bucket } from '@cloudflare/workers-types/latest';
import type { Database } from '../../db/client';
import type { ProviderEndpoints } from '../channels/types';
import { readDispatchShards } from '../dispatch/queues';
import { DEFAULT_DISABLE_AFTER_HOURS } from '../webhooks/limits';
import { readProviderEndpoints } from './provider-endpoints';

/** Hono's type parameters for this Worker: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; config: Config; db: Database };
}

/**
 * The Worker's bindings, as configured in wrangler.toml (vars, secrets, queues) or, locally, by
 * scripts/start.ts and test/workerd.ts.
 */
export interface Env {
  /** Postgres URL (Neon in production). Secret: `wrangler secret put DATABASE_URL`. */
  DATABASE_URL: string;
  /** `host:port` of db/ws-proxy.ts: local development and tests only, never in production. */
  DB_WS_PROXY?: string;
  /** Largest Neon pool per invocation (npm start sets 1: its proxy bounds connections). */
  DB_POOL_MAX?: string;
  /** Base64 (or base64url) of 32 random bytes. Secret: `wrangler secret put CREDENTIALS_KEY`. */
  CREDENTIALS_KEY: string;
  ENVIRONMENT: 'production' | 'development';
  /** `'true'` lets user-supplied URLs reach private and loopback addresses (local dev only). */
  ALLOW_PRIVATE_URLS?: string;
  /** Producer binding for the `sendflow-dispatch` queue, dispatch shard 0 (edge/dispatch/queues.ts). */
  DISPATCH_QUEUE: Queue;
  /**
   * Producer bindings of further dispatch shards, `sendflow-dispatch-<n>` as `DISPATCH_QUEUE_<n>`
   * (n = 1, 2, … without gaps): as many shards as are bound.
   */
  [shard: `DISPATCH_QUEUE_${number}`]: Queue | undefined;
  /** Producer binding for the `sendflow-segments` queue (edge/segments consumes it). */
  SEGMENT_QUEUE?: Queue;
  /** Producer binding for the `sendflow-callbacks` queue (edge/callbacks consumes it). */
  CALLBACK_QUEUE: Queue;
  /** Meta's Graph API base URL (default https://graph.facebook.com): a stand-in locally. */
  GRAPH_API_URL?: string;
  /** The Graph API version called (default in edge/channels/meta/graph.ts). */
  GRAPH_API_VERSION?: string;
  /**
   * The public origin of callback URLs when it differs from the one requests arrive at, and of
   * the signed media links sends carry (those have no request to take an origin from).
   */
  PUBLIC_URL?: string;
  /** R2 bucket of uploaded library files (`sendflow-media`); absent, uploads are refused. */
  MEDIA_BUCKET?: R2Bucket;
  /** The EventHub Durable Object namespace (edge/events/hub.ts): live partner events. */
  EVENT_HUB?: DurableObjectNamespace;
  /**
   * The ChannelPacer Durable Object namespace (edge/pacing/pacer.ts): each channel's send rate,
   * kept across every dispatch consumer; absent, sends go unpaced.
   */
  CHANNEL_PACER?: DurableObjectNamespace;
  /** Most SSE streams one API key may hold open (default DEFAULT_MAX_STREAMS_PER_KEY). */
  MAX_STREAMS_PER_KEY?: string;
  /** Producer binding for the `sendflow-webhooks` queue (edge/webhooks consumes it). */
  WEBHOOK_QUEUE?: Queue;
  /** Hours of continuous failure after which a webhook endpoint is disabled (default 120). */
  WEBHOOK_DISABLE_AFTER_HOURS?: string;
}

/** The validated, typed view of `Env` that the rest of the Worker reads. */
export interface Config {
  databaseUrl: string;
  dbWsProxy: string | undefined;
  dbPoolMax: number;
  credentialsKey: string;
  production: boolean;
  allowPrivateUrls: boolean;
  /** `<NAME>_API_URL` / `<NAME>_API_VERSION` variables (see provider-endpoints.ts). */
  providerEndpoints: ProviderEndpoints;
  publicUrl: string | undefined;
  maxStreamsPerKey: number;
  webhookDisableAfterHours: number;
}

/** Thrown when bindings are missing or malformed; the message lists every problem at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid Worker configuration: ${problems.join('; ')}`);
  }
}

const ENVIRONMENTS = ['production', 'development'] as const;
const CREDENTIALS_KEY_BYTES = 32;
/**
 * Workers allow six simultaneous outgoing connections per invocation; a pool of four leaves room
 * for provider calls while resolvers query in parallel.
 */
const DEFAULT_DB_POOL_MAX = 4;
/** Enough for a partner's dashboards and workers; a runaway client cannot exhaust the hub. */
const DEFAULT_MAX_STREAMS_PER_KEY = 50;

function decodedLength(base64: string): number | undefined {
  try {
    const normalized = base64.replace(/-/g, '+').replace(/_/g, '/');
    return atob(normalized + '='.repeat((4 - (normalized.length % 4)) % 4)).length;
  } catch {
    return undefined;
  }
}

function checkDatabaseUrl(value: string | undefined, problems: string[]): string {
  if (!value) {
    problems.push('DATABASE_URL is not set (wrangler secret put DATABASE_URL)');
    return '';
  }
  try {
    const { protocol } = new URL(value);
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
    }
  } catch {
    problems.push('DATABASE_URL is not a valid URL');
  }
  return value;
}

function checkCredentialsKey(value: string | undefined, problems: string[]): string {
  if (!value) {
    problems.push('CREDENTIALS_KEY is not set (wrangler secret put CREDENTIALS_KEY)');
    return '';
  }
  if (decodedLength(value) !== CREDENTIALS_KEY_BYTES) {
    problems.push(`CREDENTIALS_KEY must be ${CREDENTIALS_KEY_BYTES} bytes, base64-encoded`);
  }
  return value;
}

function checkPositiveInteger(
  name: string,
  value: string | undefined,
  fallback: number,
  problems: string[],
): number {
  if (value === undefined || value === '') return fallback;
  const max = Number(value);
  if (!Number.isInteger(max) || max < 1) {
    problems.push(`${name} must be a positive integer`);
    return fallback;
  }
  return max;
}

function checkPublicUrl(value: string | undefined, problems: string[]): string | undefined {
  if (!value) return undefined;
  try {
    return new URL(value).origin;
  } catch {
    problems.push('PUBLIC_URL must be an absolute URL such as https://sendflow.example.com');
    return undefined;
  }
}

/**
 * Validates the bindings and returns the typed config, or throws a ConfigError naming every
 * missing or malformed binding (so that one deploy fixes them all).
 */
export function parseConfig(bindings: object): Config {
  // Read as plain variables: the provider endpoint names are open-ended (provider-endpoints.ts).
  const env = bindings as Readonly<Record<string, unknown>>;
  const problems: string[] = [];
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const databaseUrl = checkDatabaseUrl(text(env.DATABASE_URL), problems);
  const credentialsKey = checkCredentialsKey(text(env.CREDENTIALS_KEY), problems);
  const dbPoolMax = checkPositiveInteger(
    'DB_POOL_MAX',
    text(env.DB_POOL_MAX),
    DEFAULT_DB_POOL_MAX,
    problems,
  );
  const maxStreamsPerKey = checkPositiveInteger(
    'MAX_STREAMS_PER_KEY',
    text(env.MAX_STREAMS_PER_KEY),
    DEFAULT_MAX_STREAMS_PER_KEY,
    problems,
  );
  const webhookDisableAfterHours = checkPositiveInteger(
    'WEBHOOK_DISABLE_AFTER_HOURS',
    text(env.WEBHOOK_DISABLE_AFTER_HOURS),
    DEFAULT_DISABLE_AFTER_HOURS,
    problems,
  );
  const environment = text(env.ENVIRONMENT);
  if (!ENVIRONMENTS.includes(environment as (typeof ENVIRONMENTS)[number])) {
    problems.push(`ENVIRONMENT must be one of ${ENVIRONMENTS.join(', ')}`);
  }
  const production = environment !== 'development';
  const dbWsProxy = text(env.DB_WS_PROXY) || undefined;
  const allowPrivateUrls = text(env.ALLOW_PRIVATE_URLS) === 'true';
  if (production && dbWsProxy) {
    problems.push('DB_WS_PROXY is for local development; unset it in production');
  }
  if (production && allowPrivateUrls) {
    // User-supplied URLs reaching private ranges is an SSRF hole; only local dev may allow it.
    problems.push('ALLOW_PRIVATE_URLS=true is refused in production');
  }
  const { endpoints: providerEndpoints, problems: endpointProblems } = readProviderEndpoints(
    env,
    production,
  );
  problems.push(...endpointProblems);
  const publicUrl = checkPublicUrl(text(env.PUBLIC_URL), problems);
  problems.push(...readDispatchShards(env).problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl,
    dbWsProxy,
    dbPoolMax,
    credentialsKey,
    production,
    allowPrivateUrls,
    providerEndpoints,
    publicUrl,
    maxStreamsPerKey,
    webhookDisableAfterHours,
  };
}
