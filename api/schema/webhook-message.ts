import { and, eq, type SQL } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { webhookEndpoints, webhookMessages } from '../../db/schema';
import { replayEndpoint, replayMessage } from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { DeliveryEventTypeEnum } from './delivery-event';
import {
  CREATION_TEXT_ID_CURSOR,
  type CursorShape,
  checkConnectionArgs,
  creationOrder,
  TIMESTAMP_UUID_CURSOR,
} from './pagination';

/** Webhook messages (one event for one endpoint) and their attempts; replays. */

/**
 * Query options that list webhook messages oldest event first: by the event's time (exact, as
 * `creationOrder()` keeps it), then by the event's cursor, since every event of one statement
 * has the same time and the log's order within it is the cursor's, then by id (one event's
 * messages to several endpoints). Ordering by (time, id) alone put one instant's events in
 * the random order of their `msg_` ids.
 */
export function eventOrder() {
  const { extras } = creationOrder();
  return { extras, orderBy: { createdAtCursor: 'asc', eventCursor: 'asc', id: 'asc' } } as const;
}

/** What an `eventOrder()` cursor holds: the time's microsecond text, the event cursor, the id. */
const EVENT_ORDER_CURSOR: CursorShape = [
  CREATION_TEXT_ID_CURSOR[0]!,
  /^N:\d{1,16}$/,
  /^S:msg_[0-9a-f]{32}$/,
];

/**
 * `checkConnectionArgs` for webhook message lists. A cursor these lists handed out before they
 * followed the event order, (time, id), cannot say where its row falls among the events of its
 * instant; it is refused with a message saying to start again, not read as another position.
 */
export function checkMessageConnectionArgs(args: {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}): void {
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor == null) continue;
    let old = true;
    try {
      checkConnectionArgs({ [name]: cursor }, CREATION_TEXT_ID_CURSOR);
    } catch {
      old = false;
    }
    if (old) {
      throw new GraphQLError(
        `"${name}" is a cursor from before webhook messages were listed in event order: ` +
          'request the first page again',
        { extensions: { code: 'BAD_USER_INPUT' } },
      );
    }
  }
  checkConnectionArgs(args, EVENT_ORDER_CURSOR);
}

const WEBHOOK_MESSAGE_STATUSES = ['pending', 'delivering', 'succeeded', 'failed'] as const;
type WebhookMessageStatus = (typeof WEBHOOK_MESSAGE_STATUSES)[number];

const WebhookMessageStatusEnum = builder.enumType('WebhookMessageStatus', {
  values: {
    PENDING: { value: 'pending', description: 'Waiting for its next attempt (`nextAttemptAt`).' },
    DELIVERING: { value: 'delivering', description: 'An attempt is under way.' },
    SUCCEEDED: { value: 'succeeded', description: 'The endpoint answered 2xx.' },
    FAILED: {
      value: 'failed',
      description:
        'Every scheduled attempt failed, the endpoint answered 410 Gone, or 3 consumers in a ' +
        'row stopped while holding one attempt (its last attempt row says so; replay to retry).',
    },
  } as const,
});

export const WebhookAttemptRef = builder.drizzleObject('webhookAttempts', {
  name: 'WebhookAttempt',
  description: 'One POST of a message, and what came back.',
  fields: (t) => ({
    id: t.exposeID('id'),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime' }),
    statusCode: t.exposeInt('statusCode', {
      nullable: true,
      description: 'The HTTP status, null when no answer came.',
    }),
    latencyMs: t.exposeInt('latencyMs'),
    responseExcerpt: t.exposeString('responseExcerpt', {
      nullable: true,
      description: 'The start of the answer (at most 1 KB).',
    }),
    error: t.exposeString('error', { nullable: true }),
    succeeded: t.exposeBoolean('succeeded'),
  }),
});

export const WebhookMessageRef = builder.drizzleObject('webhookMessages', {
  name: 'WebhookMessage',
  description: 'One event for one endpoint. `id` is the `webhook-id` of every attempt and replay.',
  fields: (t) => ({
    id: t.exposeID('id'),
    endpointId: t.exposeID('endpointId'),
    eventCursor: t.string({ resolve: (message) => String(message.eventCursor) }),
    eventType: t.field({
      type: DeliveryEventTypeEnum,
      resolve: (message) => message.eventType as never,
    }),
    status: t.field({
      type: WebhookMessageStatusEnum,
      resolve: (message) => message.status as WebhookMessageStatus,
    }),
    attemptCount: t.exposeInt('attempts', {
      description:
        'Attempts made and recorded in the current schedule (a replay starts a new one); an ' +
        'attempt under way is counted once it is recorded.',
    }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      description: 'When its event happened.',
    }),
    attempts: t.relatedConnection(
      'attemptLog',
      {
        type: WebhookAttemptRef,
        description:
          'Every attempt, oldest first, including attempts whose consumer stopped before ' +
          'recording them (error starting "lost: "; the POST may have arrived), which ' +
          '`attemptCount` does not count.',
        // attempted_at holds milliseconds (set from the consumer's clock), so the cursor is exact.
        query: (args) => {
          checkConnectionArgs(args, TIMESTAMP_UUID_CURSOR);
          return { orderBy: { attemptedAt: 'asc', id: 'asc' } as const };
        },
      },
      { name: 'WebhookAttemptConnection' },
      { name: 'WebhookAttemptEdge' },
    ),
  }),
});

const WebhookMessageFilter = builder.inputType('WebhookMessageFilter', {
  fields: (t) => ({
    endpointId: t.id(),
    status: t.field({ type: WebhookMessageStatusEnum }),
  }),
});

interface FilterValue {
  endpointId?: string | number | null;
  status?: WebhookMessageStatus | null;
}

/** A filter id that is not a UUID matches nothing. */
const NO_MATCH = '00000000-0000-0000-0000-000000000000';

function filterWhere(ctx: ApiContext, filter: FilterValue | null | undefined) {
  const endpointId =
    filter?.endpointId != null
      ? isUuid(filter.endpointId)
        ? String(filter.endpointId)
        : NO_MATCH
      : undefined;
  return {
    where: {
      workspaceId: ctx.workspaceId,
      ...(endpointId ? { endpointId } : {}),
      ...(filter?.status ? { status: filter.status } : {}),
    },
    sql: and(
      eq(webhookMessages.workspaceId, ctx.workspaceId),
      endpointId ? eq(webhookMessages.endpointId, endpointId) : undefined,
      filter?.status ? eq(webhookMessages.status, filter.status) : undefined,
    ) as SQL,
  };
}

const ReplayWebhookEndpointPayload = builder
  .objectRef<{ replayed: number; continueFrom: Date | null }>('ReplayWebhookEndpointPayload')
  .implement({
    fields: (t) => ({
      replayed: t.exposeInt('replayed', { description: 'Messages enqueued again.' }),
      continueFrom: t.expose('continueFrom', {
        type: 'DateTime',
        nullable: true,
        description: 'More remain: call again with this as `since`. Null when done.',
      }),
    }),
  });

builder.queryFields((t) => ({
  webhookMessages: t.drizzleConnection(
    {
      type: 'webhookMessages',
      description:
        "The workspace's webhook messages, oldest event first (one instant's events in cursor " +
        'order, then by id).',
      args: { filter: t.arg({ type: WebhookMessageFilter }) },
      totalCount: (_root, args, ctx) =>
        ctx.db.$count(webhookMessages, filterWhere(ctx, args.filter).sql),
      resolve: (query, _root, args, ctx) => {
        checkMessageConnectionArgs(args);
        return ctx.db.query.webhookMessages.findMany(
          query({ where: filterWhere(ctx, args.filter).where, ...eventOrder() }),
        );
      },
    },
    { name: 'WorkspaceWebhookMessageConnection' },
    { name: 'WorkspaceWebhookMessageEdge' },
  ),
  webhookMessage: t.drizzleField({
    type: 'webhookMessages',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.query.webhookMessages.findFirst(
        query({ where: { id: String(args.id), workspaceId: ctx.workspaceId } }),
      ),
  }),
}));

/**
 * A replay for a disabled endpoint: it would be sent nothing, so the replay is refused rather
 * than left pending until the endpoint is enabled again.
 */
function endpointDisabled(path: string): ValidationError {
  return new ValidationError([
    {
      code: 'ENDPOINT_DISABLED',
      path,
      message:
        'The endpoint is disabled: enable it (updateWebhookEndpoint with enabled: true) before replaying',
    },
  ]);
}

builder.mutationFields((t) => ({
  replayWebhookMessage: t.drizzleField({
    type: 'webhookMessages',
    description:
      'Sends the message again now, with the same `webhook-id`, on a new retry schedule (an ' +
      'attempt under way is left to finish).',
    errors: { types: [ValidationError, NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const outcome = await replayMessage(ctx.db, ctx.webhookQueue, ctx.workspaceId, String(id));
      if (outcome === 'not_found') throw new NotFoundError('WebhookMessage', String(id));
      if (outcome === 'disabled') throw endpointDisabled('id');
      const row = await ctx.db.query.webhookMessages.findFirst(
        query({ where: { id: String(id), workspaceId: ctx.workspaceId } }),
      );
      if (!row) throw new NotFoundError('WebhookMessage', String(id));
      return row;
    },
  }),
  replayWebhookEndpoint: t.field({
    type: ReplayWebhookEndpointPayload,
    description:
      "Sends again the endpoint's messages whose events happened at or after `since`, oldest " +
      'first, at most 10,000 per call (`continueFrom` says where to go on).',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      endpointId: t.arg.id({ required: true }),
      since: t.arg({ type: 'DateTime', required: true }),
    },
    resolve: async (_root, { endpointId, since }, ctx) => {
      const id = String(endpointId);
      const [endpoint] = isUuid(id)
        ? await ctx.db
            .select({ id: webhookEndpoints.id, enabled: webhookEndpoints.enabled })
            .from(webhookEndpoints)
            .where(
              and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.workspaceId, ctx.workspaceId)),
            )
        : [];
      if (!endpoint) throw new NotFoundError('WebhookEndpoint', id);
      if (!endpoint.enabled) throw endpointDisabled('endpointId');
      return replayEndpoint(ctx.db, ctx.webhookQueue, endpoint.id, since);
    },
  }),
}));
