import { and, eq, sql } from 'drizzle-orm';
import { webhookEndpoints } from '../../db/schema';
import {
  decryptSecret,
  encryptPreviousSecrets,
  encryptSecret,
  generateSigningSecret,
  MAX_PREVIOUS_SECRETS,
  type PreviousSecret,
  previousSecrets,
} from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { checkEndpointInput } from '../webhooks/endpoint-input';
import { DeliveryEventTypeEnum } from './delivery-event';
import {
  CREATION_CURSOR,
  checkConnectionArgs,
  creationOrder,
  settleCursorBounds,
} from './pagination';
import { checkMessageConnectionArgs, eventOrder, WebhookMessageRef } from './webhook-message';

/**
 * Partner webhook endpoints (docs/architecture.md, "Partner webhooks"). Admin keys write;
 * read-only keys list. The `whsec_` secret appears only in the create and rotate payloads.
 */

const WebhookFilterRef = builder
  .objectRef<{ workflowId: string | null; channelId: string | null; contactId: string | null }>(
    'WebhookFilter',
  )
  .implement({
    description: 'Every id set must match an event for it to be sent.',
    fields: (t) => ({
      workflowId: t.exposeID('workflowId', { nullable: true }),
      channelId: t.exposeID('channelId', { nullable: true }),
      contactId: t.exposeID('contactId', { nullable: true }),
    }),
  });

export const WebhookEndpointRef = builder.drizzleObject('webhookEndpoints', {
  name: 'WebhookEndpoint',
  select: {
    columns: {
      id: true,
      url: true,
      description: true,
      eventTypes: true,
      workflowId: true,
      channelId: true,
      contactId: true,
      enabled: true,
      disabledReason: true,
      disabledAt: true,
      previousSecretExpiresAt: true,
      createdAt: true,
      updatedAt: true,
    },
  },
  description: 'Where partner events are POSTed, signed with Standard Webhooks.',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    description: t.exposeString('description', { nullable: true }),
    eventTypes: t.field({
      type: [DeliveryEventTypeEnum],
      description: 'The event types sent; empty means all.',
      resolve: (endpoint) => endpoint.eventTypes as never,
    }),
    filter: t.field({
      type: WebhookFilterRef,
      resolve: (endpoint) => ({
        workflowId: endpoint.workflowId,
        channelId: endpoint.channelId,
        contactId: endpoint.contactId,
      }),
    }),
    enabled: t.exposeBoolean('enabled'),
    disabledReason: t.exposeString('disabledReason', {
      nullable: true,
      description:
        'Why we disabled it: `gone` (it answered 410) or `failing` (every attempt failed for days).',
    }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    previousSecretExpiresAt: t.expose('previousSecretExpiresAt', {
      type: 'DateTime',
      nullable: true,
      description:
        'Until when an earlier secret still signs beside the current one (the latest end of ' +
        'their grace periods; each keeps its own), null when only the current one signs.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    messages: t.relatedConnection(
      'messages',
      {
        type: WebhookMessageRef,
        description:
          "Messages for this endpoint, oldest event first (one instant's events in cursor order).",
        query: (args) => {
          checkMessageConnectionArgs(args);
          return eventOrder();
        },
      },
      { name: 'WebhookMessageConnection' },
      { name: 'WebhookMessageEdge' },
    ),
  }),
});

const WebhookFilterInput = builder.inputType('WebhookFilterInput', {
  fields: (t) => ({ workflowId: t.id(), channelId: t.id(), contactId: t.id() }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({
      required: true,
      description:
        'A public https (or http) URL, at most 2,048 characters (private addresses refused).',
    }),
    description: t.string(),
    eventTypes: t.field({ type: [DeliveryEventTypeEnum], description: 'Default: all types.' }),
    filter: t.field({ type: WebhookFilterInput }),
    enabled: t.boolean({ description: 'Default: true.' }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Fields left out keep their value. Enabling clears `disabledReason`.',
  fields: (t) => ({
    url: t.string(),
    description: t.string(),
    eventTypes: t.field({ type: [DeliveryEventTypeEnum] }),
    filter: t.field({ type: WebhookFilterInput }),
    enabled: t.boolean(),
  }),
});

const WebhookSecretPayload = builder
  .objectRef<{ endpointId: string; secret: string }>('WebhookEndpointWithSecret')
  .implement({
    description: 'The endpoint and its new signing secret. `secret` is shown only here: store it.',
    fields: (t) => ({
      secret: t.exposeString('secret', { description: 'A Standard Webhooks `whsec_…` secret.' }),
      endpoint: t.drizzleField({
        type: 'webhookEndpoints',
        resolve: async (query, payload, _args, ctx) => {
          const row = await ctx.db.query.webhookEndpoints.findFirst(
            query({ where: { id: payload.endpointId, workspaceId: ctx.workspaceId } }),
          );
          if (!row) throw new NotFoundError('WebhookEndpoint', payload.endpointId);
          return row;
        },
      }),
    }),
  });

/**
 * A rotation refused because the earlier secrets still signing are as many as may be kept:
 * dropping one of them early would fail partners who still verify with it.
 */
function tooManySecrets(kept: readonly PreviousSecret[]): ValidationError {
  const firstEnd = Math.min(...kept.map((entry) => entry.expiresAt.getTime()));
  return new ValidationError([
    {
      code: 'INVALID_VALUE',
      path: 'graceHours',
      message:
        `${kept.length} earlier secrets still sign, the maximum; the first grace period ends at ` +
        `${new Date(firstEnd).toISOString()}: wait for it, or rotate with graceHours: 0 to end ` +
        'every grace period now',
    },
  ]);
}

/** The workspace's endpoint `id`, or NotFoundError (another workspace's looks the same). */
function endpointWhere(ctx: ApiContext, id: string | number) {
  if (!isUuid(id)) throw new NotFoundError('WebhookEndpoint', String(id));
  return and(
    eq(webhookEndpoints.id, String(id)),
    eq(webhookEndpoints.workspaceId, ctx.workspaceId),
  );
}

const MAX_GRACE_HOURS = 24 * 7;

/**
 * Endpoints one workspace may have, enabled or not (enabling one then needs no check). Every
 * event becomes one message per matching endpoint, so this multiplies all webhook work: one
 * fan-out statement turns up to FANOUT_EVENTS (1,000) events into 20,000 messages at most, each
 * a POST retried up to 8 times. Without a bound a workspace could make one statement write
 * millions of rows. Twenty covers a partner's environments and services; more is a support ask.
 */
export const MAX_WEBHOOK_ENDPOINTS = 20;

builder.queryFields((t) => ({
  webhookEndpoints: t.drizzleConnection(
    {
      type: 'webhookEndpoints',
      description: "The workspace's webhook endpoints, oldest first.",
      totalCount: (_root, _args, ctx) =>
        ctx.db.$count(webhookEndpoints, eq(webhookEndpoints.workspaceId, ctx.workspaceId)),
      resolve: async (query, _root, args, ctx) => {
        checkConnectionArgs(args, CREATION_CURSOR);
        const [rows] = await Promise.all([
          ctx.db.query.webhookEndpoints.findMany(
            query({ where: { workspaceId: ctx.workspaceId }, ...creationOrder() }),
          ),
          settleCursorBounds(
            ctx.db,
            args,
            webhookEndpoints,
            eq(webhookEndpoints.workspaceId, ctx.workspaceId),
            'asc',
          ),
        ]);
        return rows;
      },
    },
    { name: 'WebhookEndpointConnection' },
    { name: 'WebhookEndpointEdge' },
  ),
  webhookEndpoint: t.drizzleField({
    type: 'webhookEndpoints',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.webhookEndpoints.findFirst(
            query({ where: { id: String(args.id), workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookSecretPayload,
    description:
      'Adds an endpoint; events logged from now on that match it are sent. Returns its secret once.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const columns = await checkEndpointInput(ctx, { ...input, filter: input.filter ?? null });
      const secret = generateSigningSecret();
      const secretCiphertext = await encryptSecret(ctx.credentials, secret);
      const created = await ctx.db.transaction(async (tx) => {
        // Count and insert under a per-workspace lock (held to the commit): two creates at
        // once would otherwise both count 19 and both insert.
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtextextended(${`webhook-endpoints:${ctx.workspaceId}`}, 0))`,
        );
        const count = await tx.$count(
          webhookEndpoints,
          eq(webhookEndpoints.workspaceId, ctx.workspaceId),
        );
        if (count >= MAX_WEBHOOK_ENDPOINTS) {
          throw new ValidationError([
            {
              code: 'INVALID_VALUE',
              path: '',
              message: `A workspace has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints: delete one first`,
            },
          ]);
        }
        const [row] = await tx
          .insert(webhookEndpoints)
          .values({
            workspaceId: ctx.workspaceId,
            url: columns.url ?? '',
            description: columns.description ?? null,
            eventTypes: columns.eventTypes ?? [],
            workflowId: columns.workflowId ?? null,
            channelId: columns.channelId ?? null,
            contactId: columns.contactId ?? null,
            enabled: columns.enabled ?? true,
            secretCiphertext,
            // Events already logged are not sent: the endpoint starts at the log's end.
            startCursor: sql`coalesce((select last_cursor from event_counters
                                     where workspace_id = ${ctx.workspaceId}::uuid), 0)`,
          })
          .returning({ id: webhookEndpoints.id });
        return row!;
      });
      return { endpointId: created.id, secret };
    },
  }),
  updateWebhookEndpoint: t.drizzleField({
    type: 'webhookEndpoints',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateWebhookEndpointInput, required: true }),
    },
    resolve: async (query, _root, { id, input }, ctx) => {
      const where = endpointWhere(ctx, id);
      const columns = await checkEndpointInput(ctx, input);
      // Only a change of state resets it: `enabled: true` on an endpoint that is on keeps its
      // failing streak (else any edit sent with it would restart the clock that disables an
      // endpoint failing for days), and `enabled: false` on one already off keeps why and when
      // it went off (`gone`, `failing`).
      const reenabled =
        columns.enabled === true
          ? {
              disabledReason: null,
              disabledAt: null,
              failingSince: sql`case when ${webhookEndpoints.enabled}
                then ${webhookEndpoints.failingSince} end`,
              // Turned back on, it starts at the log's end: what happened meanwhile is not sent.
              startCursor: sql`case when ${webhookEndpoints.enabled} then ${webhookEndpoints.startCursor}
                else coalesce((select last_cursor from event_counters
                               where workspace_id = ${ctx.workspaceId}::uuid), 0) end`,
            }
          : columns.enabled === false
            ? {
                disabledReason: sql`case when ${webhookEndpoints.enabled}
                  then null else ${webhookEndpoints.disabledReason} end`,
                disabledAt: sql`case when ${webhookEndpoints.enabled}
                  then now() else ${webhookEndpoints.disabledAt} end`,
              }
            : {};
      const [updated] = await ctx.db
        .update(webhookEndpoints)
        .set({ ...columns, ...reenabled, updatedAt: new Date() })
        .where(where)
        .returning({ id: webhookEndpoints.id });
      if (!updated) throw new NotFoundError('WebhookEndpoint', String(id));
      const row = await ctx.db.query.webhookEndpoints.findFirst(
        query({ where: { id: updated.id, workspaceId: ctx.workspaceId } }),
      );
      if (!row) throw new NotFoundError('WebhookEndpoint', String(id));
      return row;
    },
  }),
  deleteWebhookEndpoint: t.id({
    description: 'Deletes the endpoint with its messages and attempts; returns the deleted id.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const [deleted] = await ctx.db
        .delete(webhookEndpoints)
        .where(endpointWhere(ctx, id))
        .returning({ id: webhookEndpoints.id });
      if (!deleted) throw new NotFoundError('WebhookEndpoint', String(id));
      return deleted.id;
    },
  }),
  rotateWebhookSecret: t.field({
    type: WebhookSecretPayload,
    description:
      'Replaces the signing secret. For `graceHours` (default 24, at most 168) messages carry ' +
      'signatures with the old secret too; rotating again meanwhile keeps every earlier secret ' +
      `whose grace has not ended (at most ${MAX_PREVIOUS_SECRETS}). \`graceHours: 0\` ends every ` +
      'grace period at once: only the new secret signs.',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      id: t.arg.id({ required: true }),
      graceHours: t.arg.int({ defaultValue: 24 }),
    },
    resolve: async (_root, { id, graceHours }, ctx) => {
      const where = endpointWhere(ctx, id);
      const hours = graceHours ?? 24;
      if (hours < 0 || hours > MAX_GRACE_HOURS) {
        throw new ValidationError([
          {
            code: 'INVALID_VALUE',
            path: 'graceHours',
            message: `Must be between 0 and ${MAX_GRACE_HOURS}`,
          },
        ]);
      }
      const secret = generateSigningSecret();
      const ciphertext = await encryptSecret(ctx.credentials, secret);
      const rotated = await ctx.db.transaction(async (tx) => {
        // The row is locked while the earlier secrets are read and written back: two rotations
        // at once would otherwise each keep the secrets they read, and one secret be lost.
        const [endpoint] = await tx
          .select({
            id: webhookEndpoints.id,
            secretCiphertext: webhookEndpoints.secretCiphertext,
            previousSecretCiphertext: webhookEndpoints.previousSecretCiphertext,
            previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
          })
          .from(webhookEndpoints)
          .where(where)
          .for('no key update');
        if (!endpoint) return null;
        const now = new Date();
        // A secret that no longer decrypts (CREDENTIALS_KEY changed) signs nothing: it is not
        // kept, and it does not stop the rotation that gives the endpoint a working one.
        const unreadable = () => [];
        const previous =
          hours > 0
            ? [
                ...(await decryptSecret(ctx.credentials, endpoint.secretCiphertext).then(
                  (old) => [
                    { secret: old, expiresAt: new Date(now.getTime() + hours * 3_600_000) },
                  ],
                  unreadable,
                )),
                ...(await previousSecrets(ctx.credentials, endpoint, now).catch(unreadable)),
              ]
            : [];
        if (previous.length > MAX_PREVIOUS_SECRETS) {
          throw tooManySecrets(previous.slice(previous.length - MAX_PREVIOUS_SECRETS));
        }
        await tx
          .update(webhookEndpoints)
          .set({
            ...(await encryptPreviousSecrets(ctx.credentials, previous)),
            secretCiphertext: ciphertext,
            updatedAt: now,
          })
          .where(eq(webhookEndpoints.id, endpoint.id));
        return endpoint;
      });
      if (!rotated) throw new NotFoundError('WebhookEndpoint', String(id));
      return { endpointId: rotated.id, secret };
    },
  }),
}));
