import { and, eq, type SQL } from 'drizzle-orm';
import { channels } from '../../db/schema';
import {
  CHANNEL_INTEGRATIONS,
  CHANNEL_PROVIDERS,
  integrationFor,
  providerOf,
} from '../../edge/channels/registry';
import { CHANNEL_TYPES, type ChannelType } from '../../workflow/channel-types';
import { isUuid } from '../../workflow/ids';
import { MAX_CHANNEL_MESSAGES_PER_SECOND, sendRateInEffect } from '../../workflow/send-rate';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { CHANNEL_COLUMNS } from '../workflows/record-loader';
import { ChannelCallbackRef, ChannelTemplateRef, callbackOf } from './channel-callback';
import { ChannelSettingsUnion, taggedSettings } from './channel-settings';
import {
  CREATION_CURSOR,
  checkConnectionArgs,
  creationOrder,
  settleCursorBounds,
} from './pagination';

export const ChannelTypeEnum = builder.enumType('ChannelType', {
  description: 'The contact-facing network. Steps, windows and addressing depend on it.',
  values: Object.fromEntries(
    CHANNEL_TYPES.map((type) => [type.toUpperCase(), { value: type }]),
  ) as {
    [T in ChannelType as Uppercase<T>]: { value: T };
  },
});

export const ChannelProviderEnum = builder.enumType('ChannelProvider', {
  description: 'The provider API a channel reaches its network through.',
  values: Object.fromEntries(
    CHANNEL_PROVIDERS.map((provider) => [provider.toUpperCase(), { value: provider }]),
  ),
});

const CHANNEL_STATUSES = ['connected', 'disconnected', 'error'] as const;
export const ChannelStatusEnum = builder.enumType('ChannelStatus', {
  description:
    'ERROR is set when the provider refuses the credentials (on save or verifyChannel); statusDetail says why.',
  values: {
    CONNECTED: { value: 'connected' },
    DISCONNECTED: { value: 'disconnected' },
    ERROR: { value: 'error' },
  } as const,
});

export type ChannelRow = typeof channels.$inferSelect;

/** The integration of a stored channel (its provider, or the type's default). */
export function integrationOf(channel: Pick<ChannelRow, 'type' | 'provider'>) {
  return integrationFor(channel.type, providerOf(channel));
}

/** Each integration's documented send rate, as the schema describes them (from the definitions). */
const DOCUMENTED_SEND_RATES = CHANNEL_INTEGRATIONS.flatMap(({ definition }) =>
  definition.sendRate
    ? [`${definition.sendRate.messagesPerSecond.toLocaleString('en-US')} for ${definition.label}`]
    : [],
).join(', ');

/** A connected messaging channel. Credentials are write-only: only a masked hint is readable. */
export const ChannelRef = builder.drizzleObject('channels', {
  name: 'Channel',
  // CHANNEL_COLUMNS leaves out the credentials ciphertext, so no resolver can ever return it.
  // Column fields read the row directly: an `expose` would make plugin-drizzle look up, for
  // every field of every channel, whether the row was loaded with it.
  select: { columns: CHANNEL_COLUMNS },
  fields: (t) => ({
    id: t.id({ resolve: (channel) => channel.id }),
    type: t.field({ type: ChannelTypeEnum, resolve: (channel) => channel.type }),
    provider: t.field({
      type: ChannelProviderEnum,
      nullable: true,
      resolve: (channel) => providerOf(channel),
    }),
    name: t.string({ resolve: (channel) => channel.name }),
    status: t.field({ type: ChannelStatusEnum, resolve: (channel) => channel.status }),
    statusDetail: t.string({
      nullable: true,
      description: 'What the last check with the provider said; the problem when in ERROR.',
      resolve: (channel) => channel.statusDetail,
    }),
    verifiedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the provider last confirmed the credentials.',
      resolve: (channel) => channel.verifiedAt,
    }),
    settings: t.field({
      type: ChannelSettingsUnion,
      nullable: true,
      resolve: (channel) => taggedSettings(integrationOf(channel), channel.settings),
    }),
    credentialsHint: t.string({
      nullable: true,
      description: 'A masked hint of the stored credentials, e.g. `••••abcd`; null when none.',
      resolve: (channel) => channel.credentialsHint,
    }),
    hasCredentials: t.boolean({ resolve: (channel) => channel.credentialsHint != null }),
    callback: t.field({
      type: ChannelCallbackRef,
      nullable: true,
      description:
        "Where to point the provider's webhooks, and the verify token its handshake presents; null when the provider sends none.",
      select: { columns: { callbackToken: true } },
      resolve: (channel, _args, ctx) => callbackOf(ctx, integrationOf(channel), channel),
    }),
    templates: t.field({
      type: [ChannelTemplateRef],
      nullable: true,
      description:
        "The provider account's message templates as last listed (WhatsApp); null when never listed or not applicable.",
      select: { columns: { templates: true } },
      resolve: (channel) => channel.templates ?? null,
    }),
    templatesSyncedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (channel) => channel.templatesSyncedAt,
    }),
    maxMessagesPerSecond: t.int({
      nullable: true,
      description:
        `The send rate set for this channel, in messages per second (1 to ${MAX_CHANNEL_MESSAGES_PER_SECOND.toLocaleString('en-US')}), ` +
        "e.g. for a WhatsApp number Meta upgraded past its default; null when none is set, and the integration's default applies (see sendRateLimit).",
      resolve: (channel) => channel.maxMessagesPerSecond,
    }),
    sendRateLimit: t.int({
      nullable: true,
      description:
        'The most messages per second dispatch sends through this channel: maxMessagesPerSecond when set, ' +
        `else the throughput its provider's documentation gives per channel (${DOCUMENTED_SEND_RATES}); ` +
        'null when neither applies, and sends are not paced (the provider queues them itself, as Twilio and SMTP servers do, or documents no figure).',
      resolve: (channel) =>
        sendRateInEffect(channel.maxMessagesPerSecond, integrationOf(channel)?.definition.sendRate),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (channel) => channel.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (channel) => channel.updatedAt }),
  }),
});

const ChannelFilter = builder.inputType('ChannelFilter', {
  fields: (t) => ({
    type: t.field({ type: ChannelTypeEnum }),
    status: t.field({ type: ChannelStatusEnum }),
  }),
});

interface ChannelFilterValue {
  type?: ChannelType | null;
  status?: (typeof CHANNEL_STATUSES)[number] | null;
}

function filterSql(
  table: typeof channels,
  ctx: ApiContext,
  filter: ChannelFilterValue | null | undefined,
): SQL {
  return and(
    eq(table.workspaceId, ctx.workspaceId),
    filter?.type ? eq(table.type, filter.type) : undefined,
    filter?.status ? eq(table.status, filter.status) : undefined,
  )!;
}

builder.queryFields((t) => ({
  channels: t.drizzleConnection(
    {
      type: 'channels',
      description: "The workspace's channels, oldest first.",
      args: { filter: t.arg({ type: ChannelFilter }) },
      totalCount: (_root, args, ctx) =>
        ctx.db.$count(channels, filterSql(channels, ctx, args.filter)),
      resolve: async (query, _root, args, ctx) => {
        checkConnectionArgs(args, CREATION_CURSOR);
        const [rows] = await Promise.all([
          ctx.db.query.channels.findMany(
            query({
              where: { RAW: (table) => filterSql(table, ctx, args.filter) },
              ...creationOrder(),
            }),
          ),
          settleCursorBounds(ctx.db, args, channels, filterSql(channels, ctx, args.filter), 'asc'),
        ]);
        return rows;
      },
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
