import type { DurableObjectState } from '@cloudflare/workers-types/latest';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { sql } from 'drizzle-orm';
import { GraphQLError, type OperationDefinitionNode, type ValidationContext } from 'graphql';
import { createGraphQLError, createYoga, type Plugin } from 'graphql-yoga';
import type { Principal } from '../../api/auth';
import type { ApiContext, Scope } from '../../api/context';
import { hardeningPlugins } from '../../api/hardening';
import { apiSchema } from '../../api/server';
import { CredentialCipher } from '../../db/credentials';
import { readEventsAfter } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { openDatabase } from '../host/database';
import { type Config, type Env, parseConfig } from '../host/env';
import { log } from '../log';
import { MediaLinkSigner } from '../media/signed-link';
import { EventFanout } from './fanout';
import { HUB_ORIGIN, PRINCIPAL_HEADER, PUBLISH_PATH, STREAM_PATH } from './hub-protocol';
import { FrameOutlet, type FrameWritable, frameSink } from './live-frames';
import { mapEvents } from './map-events';
import { resumeCursor } from './resume-cursor';
import { useSharedEventResults } from './shared-results';
import { guardEventStream } from './stream-guard';
import { useUnconditionalSubscriptionRoot } from './subscription-root';
import { type LiveEvents, type LoggedEvent, loggedEventFromRow } from './types';

/** Connections the hub's pool may hold: replays share them whatever the number of streams. */
const HUB_POOL_MAX = 2;
/** SSE messages that may wait for one slow reader before its stream is ended. */
const MAX_QUEUED_MESSAGES = 5_000;
/**
 * How often the keys of open streams are checked: a stream outlives the request that checked
 * its key, and a revoked key's streams end at the next check. One primary-key read per hub.
 */
const KEY_CHECK_INTERVAL_MS = 10_000;
/**
 * How long a single-connection reservation (graphql-sse's PUT) may wait for its stream. Its
 * client opens the stream at once; graphql-sse itself never lets go of one that never opens.
 */
const RESERVATION_TTL_MS = 15_000;
/** The header graphql-sse reads a single-connection reservation's token from. */
const TOKEN_HEADER = 'x-graphql-event-stream-token';

/**
 * The EventHub: one Durable Object per workspace (`idFromName(workspaceId)`). The pipeline posts
 * the events it committed to `/publish`; partners' SSE requests reach `/graphql/stream` here,
 * forwarded by the Worker after it authenticated the API key (edge/host/stream-route.ts), and
 * are served by a GraphQL Yoga with the GraphQL-over-SSE plugin (both the distinct-connections
 * and the single-connection mode of `graphql-sse`; the latter keeps stream reservations in
 * memory, which works because every request of a workspace reaches this one object). The
 * subscription reads the log for replay through the hub's own small pool, then follows the
 * in-memory fan-out (edge/events/fanout.ts): no subscriber ever polls Postgres.
 */
export class EventHub {
  private readonly config: Config;
  private database?: ReturnType<typeof openDatabase>;
  private fanout?: Promise<EventFanout>;
  private yoga?: ReturnType<typeof createYoga<Record<string, unknown>, ApiContext>>;
  private readonly principals = new WeakMap<Request, Principal>();
  /** Per stream request: its workspace's fan-out, and the outlet of a written stream. */
  private readonly streams = new WeakMap<
    Request,
    { fanout: EventFanout; outlet?: FrameOutlet; liveFrom: number }
  >();
  private readonly openStreams = new Map<string, number>();
  /** Per API key, what ends each of its open streams (a revoked key's end at the next check). */
  private readonly streamEnds = new Map<string, Set<AbortController>>();
  private keyCheck: ReturnType<typeof setInterval> | null = null;
  /** Reservations whose stream has not opened yet, and when each is let go. */
  private readonly reservations = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(_state: DurableObjectState, env: Env) {
    this.config = parseConfig(env);
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === PUBLISH_PATH && request.method === 'POST') {
      const events = (await request.json()) as LoggedEvent[];
      const workspaceId = events[0]?.workspaceId;
      // The whole burst at once, before answering: the fan-out writes every subscriber's
      // messages in this turn (edge/events/live-frames.ts), a few milliseconds for 100 events
      // to 10 subscribers; yielding first would let the isolate's other work (the next
      // dispatch batch) run ahead of it.
      if (workspaceId) (await this.fanoutFor(workspaceId)).publish(events);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === STREAM_PATH) return this.stream(request);
    return new Response('Not found', { status: 404 });
  }

  private db() {
    this.database ??= openDatabase({ ...this.config, dbPoolMax: HUB_POOL_MAX });
    return this.database.db;
  }

  private fanoutFor(workspaceId: string): Promise<EventFanout> {
    this.fanout ??= (async () => {
      const db = this.db();
      // Every event up to the counter is committed: a subscriber arriving later replays it.
      const [counter] = await queryRows<{ last_cursor: string }>(
        db,
        sql`select last_cursor from event_counters where workspace_id = ${workspaceId}::uuid`,
      );
      return new EventFanout({
        initialCursor: Number(counter?.last_cursor ?? 0),
        readLog: async (after, limit, filter) =>
          (await readEventsAfter(db, workspaceId, after, limit, filter)).map(loggedEventFromRow),
      });
    })();
    this.fanout.catch(() => {
      this.fanout = undefined;
    });
    return this.fanout;
  }

  private async stream(request: Request): Promise<Response> {
    const principal = parsePrincipal(request.headers.get(PRINCIPAL_HEADER));
    if (!principal) return new Response('Forbidden', { status: 403 });
    this.principals.set(request, principal);
    const operation = await operationOf(request);
    const refusal = operation && refuseInvalidOperation(this.server(), request, operation);
    if (refusal) return refusal;
    const opensStream = request.headers.get('accept') === 'text/event-stream';
    const open = this.openStreams.get(principal.apiKeyId) ?? 0;
    if (opensStream && open >= this.config.maxStreamsPerKey) {
      return Response.json(
        {
          errors: [
            {
              message: `This API key has ${open} open streams, the most allowed; close one first`,
              extensions: { code: 'TOO_MANY_STREAMS' },
            },
          ],
        },
        { status: 429 },
      );
    }
    // The slot is taken before anything is awaited: streams opened at the same moment would
    // otherwise all see the same count, and together pass the limit.
    if (opensStream) this.openStreams.set(principal.apiKeyId, open + 1);
    let held = opensStream;
    // Ends the stream should its key be revoked while it is open.
    const ender = new AbortController();
    if (opensStream) {
      this.reservationOpened(request);
      this.watchKey(principal.apiKeyId, ender);
    }
    const releaseSlot = () => {
      if (!held) return;
      held = false;
      const now = (this.openStreams.get(principal.apiKeyId) ?? 1) - 1;
      if (now > 0) this.openStreams.set(principal.apiKeyId, now);
      else this.openStreams.delete(principal.apiKeyId);
      this.unwatchKey(principal.apiKeyId, ender);
    };
    // A distinct-connections stream carries one operation: the fan-out writes its messages
    // (with `id: <cursor>`) straight into the stream. The single-connection mode's operations
    // arrive on other requests than their stream and keep graphql-sse's own path.
    const distinct = isDistinctStream(request);
    const outlet = distinct ? new FrameOutlet() : undefined;
    let response: Response;
    try {
      const fanout = await this.fanoutFor(principal.workspaceId);
      // "From now" means from this request, not from whenever execution first pulls the
      // subscription: an event published after the client saw its stream open must reach it.
      this.streams.set(request, { fanout, outlet, liveFrom: fanout.lastDelivered });
      response = await this.server().fetch(request);
    } catch (error) {
      releaseSlot();
      throw error;
    }
    if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      releaseSlot();
      if (request.method === 'PUT' && response.status === 201) {
        this.expireReservation(await response.clone().text());
      }
      return response;
    }
    const body = guardEventStream(response.body as ReadableStream<Uint8Array>, {
      outlet,
      maxQueuedMessages: MAX_QUEUED_MESSAGES,
      signal: ender.signal,
      onEnd: releaseSlot,
    });
    return new Response(body, response);
  }

  /**
   * Lets go of a reservation whose stream has not opened within RESERVATION_TTL_MS. graphql-sse
   * keeps a reservation, and the results of operations sent to it ("flushed on connect"), until
   * its stream opens and ends: one never opened (its stream was refused, its client went away)
   * held every event since for the hub's life. Opening the stream here and cancelling it is
   * how graphql-sse disposes of one: its operations end, their fan-out subscriptions with them.
   */
  private expireReservation(token: string): void {
    this.reservations.set(
      token,
      setTimeout(async () => {
        if (!this.reservations.delete(token)) return;
        try {
          const response = await this.server().fetch(
            new Request(`${HUB_ORIGIN}${STREAM_PATH}`, {
              headers: { accept: 'text/event-stream', [TOKEN_HEADER]: token },
            }),
          );
          await response.body?.cancel();
        } catch (error) {
          log('warn', 'events: letting go of an unopened stream reservation failed', { error });
        }
      }, RESERVATION_TTL_MS),
    );
  }

  /** A stream request for a reservation: it is no longer let go by its timer. */
  private reservationOpened(request: Request): void {
    const token =
      request.headers.get(TOKEN_HEADER) ?? new URL(request.url).searchParams.get('token');
    const timer = token === null ? undefined : this.reservations.get(token);
    if (timer === undefined || token === null) return;
    clearTimeout(timer);
    this.reservations.delete(token);
  }

  /** Keeps `ender` until its stream ends; checks open streams' keys while there are any. */
  private watchKey(apiKeyId: string, ender: AbortController): void {
    const ends = this.streamEnds.get(apiKeyId) ?? new Set();
    ends.add(ender);
    this.streamEnds.set(apiKeyId, ends);
    this.keyCheck ??= setInterval(() => void this.endRevokedStreams(), KEY_CHECK_INTERVAL_MS);
  }

  private unwatchKey(apiKeyId: string, ender: AbortController): void {
    const ends = this.streamEnds.get(apiKeyId);
    ends?.delete(ender);
    if (ends?.size === 0) this.streamEnds.delete(apiKeyId);
    if (this.streamEnds.size === 0 && this.keyCheck) {
      clearInterval(this.keyCheck);
      this.keyCheck = null;
    }
  }

  /**
   * Ends the streams of keys revoked (or deleted with their workspace) since they opened: the
   * key was checked once, when the stream's request came, and a stream may last for days. The
   * reader gets what was queued; reconnecting, it is refused like any request with that key.
   */
  private async endRevokedStreams(): Promise<void> {
    const ids = [...this.streamEnds.keys()];
    if (ids.length === 0) return;
    let valid: Set<string>;
    try {
      const rows = await queryRows<{ id: string }>(
        this.db(),
        sql`select id from api_keys where id = any(${sql.param(ids)}::uuid[]) and revoked_at is null`,
      );
      valid = new Set(rows.map((row) => row.id));
    } catch {
      // The next check tries again.
      return;
    }
    for (const id of ids) {
      if (valid.has(id)) continue;
      for (const ender of this.streamEnds.get(id) ?? []) ender.abort();
    }
  }

  private liveEventsFor(request: Request): LiveEvents {
    const stream = this.streams.get(request);
    if (!stream) throw new Error('A stream request reached execution without its fan-out');
    const { fanout, outlet, liveFrom } = stream;
    const lastEventId = request.headers.get('last-event-id');
    const from = (after: number | null) => resumeCursor(after, lastEventId, liveFrom);
    const checkCursor = (cursor: number) => this.checkCursor(request, fanout, cursor);
    return {
      async subscribe(filter, after) {
        const start = from(after);
        await checkCursor(start);
        if (!outlet) {
          return mapEvents(fanout.subscribe(filter, start), (logged) => logged.event);
        }
        const writable: FrameWritable & AsyncIterable<never> = {
          // The fan-out's own iterator, so that graphql-sse's return() unsubscribes at once.
          writeFrames: (renderer) =>
            fanout.subscribe(filter, start, frameSink(outlet, renderer)) as AsyncGenerator<never>,
          [Symbol.asyncIterator]() {
            throw new Error('A written stream is read through writeFrames');
          },
        };
        return writable;
      },
    };
  }

  /**
   * Refuses a resume cursor past the workspace's log (`after` or Last-Event-ID from another
   * workspace or environment, or made up): the stream would stay silent until the log reached
   * it, and every event up to it would never reach the client. A cursor the hub has handed out
   * needs no read; one past it may still be real (a replay reads committed events whose publish
   * has not arrived yet), so the log's counter decides.
   */
  private async checkCursor(request: Request, fanout: EventFanout, cursor: number) {
    if (cursor <= fanout.lastDelivered) return;
    const principal = this.principals.get(request);
    if (!principal) throw new Error('A stream request reached execution without its principal');
    const [counter] = await queryRows<{ last_cursor: string }>(
      this.db(),
      sql`select last_cursor from event_counters where workspace_id = ${principal.workspaceId}::uuid`,
    );
    const last = Number(counter?.last_cursor ?? 0);
    if (cursor <= last) return;
    throw createGraphQLError(
      `Cannot resume after cursor ${cursor} (\`after\` or Last-Event-ID): this workspace's last event is ${last}. Resume with a cursor this workspace's stream gave.`,
      { extensions: { code: 'BAD_USER_INPUT', lastCursor: String(last) } },
    );
  }

  private server() {
    this.yoga ??= createYoga<Record<string, unknown>, ApiContext>({
      schema: apiSchema(),
      graphqlEndpoint: STREAM_PATH,
      graphiql: false,
      landingPage: false,
      maskedErrors: { isDev: false },
      plugins: [
        useGraphQLSSE({ endpoint: STREAM_PATH }),
        useSharedEventResults(),
        useSubscriptionsOnly(),
        useUnconditionalSubscriptionRoot(),
        ...hardeningPlugins({ production: this.config.production }),
      ],
      context: ({ request }): ApiContext => {
        const principal = this.principals.get(request);
        if (!principal) throw new Error('A stream request reached execution without its principal');
        return {
          db: this.db(),
          credentials: new CredentialCipher(this.config.credentialsKey),
          allowPrivateUrls: this.config.allowPrivateUrls,
          providerEndpoints: this.config.providerEndpoints,
          publicOrigin: this.config.publicUrl ?? HUB_ORIGIN,
          // Events carry no file fields today; the signer only keeps the context complete.
          mediaLinks: new MediaLinkSigner(
            this.config.credentialsKey,
            this.config.publicUrl ?? HUB_ORIGIN,
          ),
          liveEvents: this.liveEventsFor(request),
          ...principal,
        };
      },
    });
    return this.yoga;
  }
}

/** The principal the Worker forwarded (hub-protocol.ts), or null. */
function parsePrincipal(header: string | null): Principal | null {
  if (!header) return null;
  const parsed = JSON.parse(header) as {
    workspaceId: string;
    apiKeyId: string;
    scopes: Scope[];
    revision?: number;
  };
  return {
    workspaceId: parsed.workspaceId,
    apiKeyId: parsed.apiKeyId,
    scopes: new Set(parsed.scopes),
    // Streams are never response-cached; the revision only completes the principal.
    revision: parsed.revision ?? 0,
  };
}

const SUBSCRIPTIONS_ONLY =
  'Only subscriptions are served here; send queries and mutations to /graphql';

/** A distinct-connections request: it asks for a stream and holds no reservation token. */
function isDistinctStream(request: Request): boolean {
  return (
    request.headers.get('accept') === 'text/event-stream' &&
    !new URL(request.url).searchParams.has('token') &&
    !request.headers.has('x-graphql-event-stream-token')
  );
}

/** The operation a request carries (a POSTed JSON body, or GET parameters), if any. */
async function operationOf(
  request: Request,
): Promise<{ query: string; variables?: unknown; operationName?: unknown } | undefined> {
  try {
    if (request.method === 'GET') {
      const query = new URL(request.url).searchParams.get('query');
      return query === null ? undefined : { query };
    }
    if (request.method !== 'POST') return undefined;
    const body = (await request.clone().json()) as { query?: unknown };
    return typeof body?.query === 'string' ? { ...body, query: body.query } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses and validates an operation before the GraphQL-over-SSE handler runs, and answers one
 * that fails with its errors. graphql-sse's protocol (PROTOCOL.md of the graphql-sse package,
 * https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md), "Distinct connections
 * mode": "Validation steps that run before execution of the GraphQL operation MUST report
 * errors through an accepted SSE connection by emitting `next` events that contain the errors
 * in the data field" (a 400 makes EventSource fail the connection with nothing to show),
 * followed by `complete` (with an empty `data:` field, for EventSource). The handler itself
 * cannot: Yoga's plugin hands it `{ errors }`, which graphql-sse does not take for a result (it
 * looks for `data`) and answers 400 "Unable to detect operation AST". Other requests
 * (single-connection mode's operation requests, which the protocol answers as GraphQL over HTTP
 * does) get a 400 with the errors.
 */
function refuseInvalidOperation(
  yoga: ReturnType<typeof createYoga<Record<string, unknown>, ApiContext>>,
  request: Request,
  params: { query: string; variables?: unknown; operationName?: unknown },
): Response | undefined {
  const enveloped = yoga.getEnveloped({ request, params } as never);
  let errors: readonly GraphQLError[];
  try {
    errors = enveloped.validate(enveloped.schema, enveloped.parse(params.query));
  } catch (error) {
    if (!(error instanceof GraphQLError)) return undefined;
    errors = [error];
  }
  if (errors.length === 0) return undefined;
  if (isDistinctStream(request)) {
    return new Response(
      `event: next\ndata: ${JSON.stringify({ errors })}\n\nevent: complete\ndata:\n\n`,
      {
        status: 200,
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
        },
      },
    );
  }
  return Response.json({ errors }, { status: 400 });
}

/** The stream endpoint serves subscriptions; queries and mutations belong to `/graphql`. */
function useSubscriptionsOnly(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule((context: ValidationContext) => ({
        OperationDefinition(node: OperationDefinitionNode) {
          if (node.operation !== 'subscription') {
            context.reportError(new GraphQLError(SUBSCRIPTIONS_ONLY, { nodes: [node] }));
          }
        },
      }));
    },
  };
}
