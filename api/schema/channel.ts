import { and, eq, type SQL } from 'drizzle-orm';
import { maskHint } from '../../db/credentials';
import { channels } from '../../db/schema';
import { CHANNEL_TYPES, type ChannelType } from '../../workflow/channel-types';
import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';
import { parseChannelCredentials, parseChannelSettings } from '../channel-config';
import type { ApiContext } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { IssueList, requiredName } from '../validation';
import {
  ChannelCredentialsInput,
  ChannelSettingsInput,
  ChannelSettingsUnion,
  memberFor,
  type TaggedSettings,
} from './channel-settings';
import { creationOrder } from './pagination';

export const ChannelTypeEnum = builder.enumType('ChannelType', {
  values: Object.fromEntries(
    CHANNEL_TYPES.map((type) => [type.toUpperCase(), { value: type }]),
  ) as {
    [T in ChannelType as Uppercase<T>]: { value: T };
  },
});

const CHANNEL_STATUSES = ['connected', 'disconnected', 'error'] as const;
export const ChannelStatusEnum = builder.enumType('ChannelStatus', {
  description: 'ERROR is set by the dispatcher when the provider rejects the credentials.',
  values: {
    CONNECTED: { value: 'connected' },
    DISCONNECTED: { value: 'disconnected' },
    ERROR: { value: 'error' },
  } as const,
});

/** A connected messaging channel. Credentials are write-only: only a masked hint is readable. */
export const ChannelRef = builder.drizzleObject('channels', {
  name: 'Channel',
  // The ciphertext column is deliberately not selected, so no resolver can ever return it.
  select: {
    columns: {
      id: true,
      type: true,
      name: true,
      status: true,
      settings: true,
      credentialsHint: true,
      createdAt: true,
      updatedAt: true,
    },
  },
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.field({ type: ChannelTypeEnum, resolve: (channel) => channel.type }),
    name: t.exposeString('name'),
    status: t.field({ type: ChannelStatusEnum, resolve: (channel) => channel.status }),
    settings: t.field({
      type: ChannelSettingsUnion,
      nullable: true,
      resolve: (channel) =>
        channel.type === 'telegram'
          ? null
          : ({ ...channel.settings, channelType: channel.type } as TaggedSettings),
    }),
    credentialsHint: t.exposeString('credentialsHint', {
      nullable: true,
      description: 'A masked hint of the stored credentials, e.g. `••••abcd`; null when none.',
    }),
    hasCredentials: t.boolean({ resolve: (channel) => channel.credentialsHint != null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ChannelFilter = builder.inputType('ChannelFilter', {
  fields: (t) => ({
    type: t.field({ type: ChannelTypeEnum }),
    status: t.field({ type: ChannelStatusEnum }),
  }),
});

const CreateChannelInput = builder.inputType('CreateChannelInput', {
  fields: (t) => ({
    type: t.field({ type: ChannelTypeEnum, required: true }),
    name: t.string({ required: true }),
    settings: t.field({ type: ChannelSettingsInput }),
    credentials: t.field({ type: ChannelCredentialsInput }),
  }),
});

const UpdateChannelInput = builder.inputType('UpdateChannelInput', {
  description: 'Omitted fields stay as they are; settings and credentials are replaced whole.',
  fields: (t) => ({
    name: t.string(),
    status: t.field({ type: ChannelStatusEnum }),
    settings: t.field({ type: ChannelSettingsInput }),
    credentials: t.field({ type: ChannelCredentialsInput }),
  }),
});

interface ChannelFilterValue {
  type?: ChannelType | null;
  status?: (typeof CHANNEL_STATUSES)[number] | null;
}

function filterSql(
  ctx: ApiContext,
  filter: ChannelFilterValue | null | undefined,
): SQL | undefined {
  return and(
    eq(channels.workspaceId, ctx.workspaceId),
    filter?.type ? eq(channels.type, filter.type) : undefined,
    filter?.status ? eq(channels.status, filter.status) : undefined,
  );
}

/** Encrypts validated credentials and derives the hint stored beside them. */
async function sealCredentials(ctx: ApiContext, credentials: Record<string, string>) {
  return {
    credentialsCiphertext: await ctx.credentials.encrypt(credentials),
    credentialsHint: maskHint(credentials),
  };
}

builder.queryFields((t) => ({
  channels: t.drizzleConnection(
    {
      type: 'channels',
      description: "The workspace's channels, oldest first.",
      args: { filter: t.arg({ type: ChannelFilter }) },
      totalCount: (_root, args, ctx) => ctx.db.$count(channels, filterSql(ctx, args.filter)),
      resolve: (query, _root, args, ctx) =>
        ctx.db.query.channels.findMany(
          query({
            where: {
              workspaceId: ctx.workspaceId,
              ...(args.filter?.type ? { type: args.filter.type } : {}),
              ...(args.filter?.status ? { status: args.filter.status } : {}),
            },
            ...creationOrder(),
          }),
        ),
    },
    { name: 'ChannelConnection' },
    { name: 'ChannelEdge' },
  ),
  channel: t.drizzleField({
    type: 'channels',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.channels.findFirst(
            query({ where: { id: args.id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

builder.mutationFields((t) => ({
  createChannel: t.drizzleField({
    type: 'channels',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateChannelInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      const name = requiredName(issues, 'name', input.name);
      const settings = parseChannelSettings(
        input.type,
        memberFor(input.type, input.settings, 'settings', issues),
        issues,
        `settings.${input.type}`,
        { allowPrivateUrls: ctx.allowPrivateUrls },
      );
      const credentials = parseChannelCredentials(
        input.type,
        memberFor(input.type, input.credentials, 'credentials', issues),
        issues,
        `credentials.${input.type}`,
      );
      issues.throwIfAny();
      const sealed = credentials ? await sealCredentials(ctx, credentials) : {};
      const [channel] = await ctx.db
        .insert(channels)
        .values({ workspaceId: ctx.workspaceId, type: input.type, name, settings, ...sealed })
        .returning();
      return channel!;
    },
  }),
  updateChannel: t.drizzleField({
    type: 'channels',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateChannelInput, required: true }),
    },
    resolve: async (_query, _root, { id, input }, ctx) => {
      const existing = isUuid(id)
        ? await ctx.db.query.channels.findFirst({
            columns: { id: true, type: true },
            where: { id, workspaceId: ctx.workspaceId },
          })
        : undefined;
      if (!existing) throw new NotFoundError('Channel', String(id));
      const issues = new IssueList();
      const changes: Partial<typeof channels.$inferInsert> = { updatedAt: new Date() };
      if (input.name != null) changes.name = requiredName(issues, 'name', input.name);
      if (input.status != null) changes.status = input.status;
      if (input.settings != null) {
        changes.settings = parseChannelSettings(
          existing.type,
          memberFor(existing.type, input.settings, 'settings', issues),
          issues,
          `settings.${existing.type}`,
          { allowPrivateUrls: ctx.allowPrivateUrls },
        );
      }
      const credentials =
        input.credentials != null
          ? parseChannelCredentials(
              existing.type,
              memberFor(existing.type, input.credentials, 'credentials', issues),
              issues,
              `credentials.${existing.type}`,
            )
          : null;
      issues.throwIfAny();
      if (credentials) Object.assign(changes, await sealCredentials(ctx, credentials));
      const [channel] = await ctx.db
        .update(channels)
        .set(changes)
        .where(and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId)))
        .returning();
      if (!channel) throw new NotFoundError('Channel', existing.id);
      return channel;
    },
  }),
  deleteChannel: t.id({
    description:
      "Deletes the channel and its contacts' identities on it; returns the deleted id. Steps that " +
      'still name it fail validation on the next publish.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const [deleted] = isUuid(id)
        ? await ctx.db
            .delete(channels)
            .where(and(eq(channels.id, id), eq(channels.workspaceId, ctx.workspaceId)))
            .returning({ id: channels.id })
        : [];
      if (!deleted) throw new NotFoundError('Channel', String(id));
      return deleted.id;
    },
  }),
}));
