import { and, eq, sql } from 'drizzle-orm';
import { maskHint } from '../../db/credentials';
import { channels } from '../../db/schema';
import type { ChannelIntegration } from '../../edge/channels/integration';
import type { ChannelType } from '../../workflow/channel-types';
import { isUuid } from '../../workflow/ids';
import { MAX_CHANNEL_MESSAGES_PER_SECOND } from '../../workflow/send-rate';
import { builder } from '../builder';
import {
  channelIntegration,
  credentialsFromInput,
  sendRateFromInput,
  settingsFromInput,
} from '../channel-config';
import {
  checkConnection,
  newCallbackToken,
  type ReleaseCause,
  releaseConnection,
} from '../channel-connection';
import type { ApiContext } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { IssueList, requiredName } from '../validation';
import {
  ChannelProviderEnum,
  type ChannelRow,
  ChannelStatusEnum,
  ChannelTypeEnum,
  integrationOf,
} from './channel';
import { ChannelCredentialsInput, ChannelSettingsInput } from './channel-settings';

/**
 * Mutations on channels: saving one (its settings and credentials parsed by its integration,
 * then checked with the provider), verifying it again, and deleting it.
 */

const CreateChannelInput = builder.inputType('CreateChannelInput', {
  fields: (t) => ({
    type: t.field({ type: ChannelTypeEnum, required: true }),
    provider: t.field({
      type: ChannelProviderEnum,
      description: "The provider API; the type's default (the first listed) when omitted.",
    }),
    name: t.string({ required: true }),
    settings: t.field({ type: ChannelSettingsInput }),
    credentials: t.field({ type: ChannelCredentialsInput }),
    maxMessagesPerSecond: t.int({
      description: `Messages per second dispatch may send through the channel (1 to ${MAX_CHANNEL_MESSAGES_PER_SECOND.toLocaleString('en-US')}), for a sender the provider allows more (or less) than its documented default; omitted or null: that default (see Channel.sendRateLimit).`,
    }),
  }),
});

const UpdateChannelInput = builder.inputType('UpdateChannelInput', {
  description:
    'Omitted fields stay as they are; settings and credentials are replaced whole (and checked with the provider again).',
  fields: (t) => ({
    name: t.string(),
    status: t.field({
      type: ChannelStatusEnum,
      description:
        'Sets the status over what the check concluded (DISCONNECTED switches the channel off), except CONNECTED when the provider refuses the settings or credentials given with it: the channel is then in ERROR. Omitted, a channel that is switched off (DISCONNECTED) stays off whatever the check concludes.',
    }),
    settings: t.field({ type: ChannelSettingsInput }),
    credentials: t.field({ type: ChannelCredentialsInput }),
    maxMessagesPerSecond: t.int({
      description: `Messages per second dispatch may send through the channel (1 to ${MAX_CHANNEL_MESSAGES_PER_SECOND.toLocaleString('en-US')}); null clears it back to the integration's documented default (see Channel.sendRateLimit), omitted keeps it.`,
    }),
  }),
});

/** Encrypts validated credentials and derives the hint stored beside them. */
async function sealCredentials(ctx: ApiContext, credentials: Record<string, string>) {
  return {
    credentialsCiphertext: await ctx.credentials.encrypt(credentials),
    credentialsHint: maskHint(credentials),
  };
}

/** The channel's stored credentials, decrypted ({} when none or unreadable). */
async function storedCredentials(
  ctx: ApiContext,
  row: Pick<ChannelRow, 'credentialsCiphertext'>,
): Promise<Record<string, unknown>> {
  if (!row.credentialsCiphertext) return {};
  try {
    return await ctx.credentials.decrypt<Record<string, unknown>>(row.credentialsCiphertext);
  } catch {
    return {};
  }
}

/** What releasing a channel's webhook needs of its row, besides the credentials. */
type GoneRow = Pick<ChannelRow, 'id' | 'type' | 'provider' | 'name' | 'settings' | 'callbackToken'>;

/** Asks the provider about a channel about to be stored (see checkConnection). */
function checkWith(
  ctx: ApiContext,
  integration: ChannelIntegration,
  channel: {
    id: string;
    type: ChannelType;
    name: string;
    settings: Record<string, unknown>;
    callbackToken: string | null;
  },
  credentials: Record<string, unknown>,
) {
  return checkConnection(ctx, integration, {
    ...channel,
    provider: integration.definition.provider,
    credentials,
  });
}

/**
 * Releases the webhook `row`'s provider was told to call (Telegram, Viber; see
 * releaseConnection), authenticated with `credentials` (the row's own when omitted: they are
 * decrypted only when its integration has something to release). Logs, never throws.
 */
async function releaseWith(
  ctx: ApiContext,
  row: GoneRow & Partial<Pick<ChannelRow, 'credentialsCiphertext'>>,
  cause: ReleaseCause,
  credentials?: Record<string, unknown>,
): Promise<void> {
  const integration = integrationOf(row);
  if (!integration?.connection?.release || !row.callbackToken) return;
  await releaseConnection(
    ctx,
    integration,
    {
      id: row.id,
      type: row.type,
      provider: integration.definition.provider,
      name: row.name,
      settings: row.settings,
      credentials:
        credentials ??
        (await storedCredentials(ctx, {
          credentialsCiphertext: row.credentialsCiphertext ?? null,
        })),
      callbackToken: row.callbackToken,
    },
    cause,
  );
}

/**
 * After a check, the channel's row was gone: a deleteChannel ran while the provider was being
 * asked. That delete released what the webhook pointed at then, but the check may have
 * registered it again since (Telegram setWebhook, Viber set_webhook), for a channel that no
 * longer exists: Telegram would hold the bot's updates for a URL that answers 404, and the
 * bot's owner could not use getUpdates ("getUpdates": it does not work while a webhook is
 * set). So it is released once more, with the credentials the check used.
 */
async function releaseGone(
  ctx: ApiContext,
  row: GoneRow,
  checkedWith: Record<string, unknown> | null,
): Promise<void> {
  if (!checkedWith) return;
  await releaseWith(ctx, row, 'channel_deleted', checkedWith);
}

/**
 * Whether two credential records are the same (each value compared trimmed: providers read a
 * token from a header, where surrounding spaces do not count). Replacing credentials with the
 * same ones must not release the account the channel goes on using. Settings (trimmed text and
 * numbers, whose key order Postgres's jsonb does not keep) compare the same way.
 */
function sameCredentials(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : value);
  return [...keys].every((key) => text(a[key]) === text(b[key]));
}

/**
 * A check's verdict as the status column's new value, unless the row is switched off
 * (`disconnected`) when the write finds it: a provider check takes seconds, and a switch-off
 * made meanwhile (another updateChannel) must not be undone by a verdict read before it.
 */
function keepSwitchedOff(verdict: ChannelRow['status']) {
  return sql<
    ChannelRow['status']
  >`case when ${channels.status} = 'disconnected' then ${channels.status} else ${verdict} end`;
}

async function findChannelRow(ctx: ApiContext, id: string | number): Promise<ChannelRow> {
  const row = isUuid(id)
    ? await ctx.db.query.channels.findFirst({ where: { id, workspaceId: ctx.workspaceId } })
    : undefined;
  if (!row) throw new NotFoundError('Channel', String(id));
  return row;
}

builder.mutationFields((t) => ({
  createChannel: t.drizzleField({
    type: 'channels',
    description:
      'Saves a channel after checking its settings; where the provider has a cheap check, the credentials are verified too (status and statusDetail say how it went).',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateChannelInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      const name = requiredName(issues, 'name', input.name);
      const integration = channelIntegration(input.type, input.provider, issues);
      if (!integration) issues.throwIfAny();
      const settings = settingsFromInput(
        integration!,
        input.settings,
        issues,
        ctx.allowPrivateUrls,
      );
      const credentials = credentialsFromInput(integration!, input.credentials, issues);
      const maxMessagesPerSecond = sendRateFromInput(input.maxMessagesPerSecond ?? null, issues);
      issues.throwIfAny();
      const id = crypto.randomUUID();
      const callbackToken = newCallbackToken(integration!);
      const sealed = credentials ? await sealCredentials(ctx, credentials) : {};
      // Stored before the provider check: a provider registering our webhook may call the
      // callback URL at once (Viber's set_webhook does), and it must find the channel.
      await ctx.db.insert(channels).values({
        id,
        workspaceId: ctx.workspaceId,
        type: input.type,
        provider: integration!.definition.provider,
        name,
        settings,
        callbackToken,
        maxMessagesPerSecond,
        ...sealed,
      });
      const connection = await checkWith(
        ctx,
        integration!,
        { id, type: input.type, name, settings, callbackToken },
        credentials ?? {},
      );
      const [channel] = await ctx.db
        .update(channels)
        .set(connection)
        .where(and(eq(channels.id, id), eq(channels.workspaceId, ctx.workspaceId)))
        .returning();
      if (!channel) {
        const { provider } = integration!.definition;
        const gone = { id, type: input.type, provider, name, settings, callbackToken };
        await releaseGone(ctx, gone, credentials);
        throw new NotFoundError('Channel', id);
      }
      return channel;
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
      const existing = await findChannelRow(ctx, id);
      const integration = integrationOf(existing);
      const issues = new IssueList();
      if (!integration) {
        issues.add(
          'INVALID_VALUE',
          'provider',
          'This channel has no integration in this deployment',
        );
        issues.throwIfAny();
      }
      const changes: Partial<typeof channels.$inferInsert> = { updatedAt: new Date() };
      if (input.name != null) changes.name = requiredName(issues, 'name', input.name);
      if (input.settings != null) {
        changes.settings = settingsFromInput(
          integration!,
          input.settings,
          issues,
          ctx.allowPrivateUrls,
        );
      }
      const credentials =
        input.credentials != null
          ? credentialsFromInput(integration!, input.credentials, issues)
          : null;
      // Omitted keeps the channel's rate; null clears it back to the integration's default.
      if (input.maxMessagesPerSecond !== undefined) {
        changes.maxMessagesPerSecond = sendRateFromInput(input.maxMessagesPerSecond, issues);
      }
      issues.throwIfAny();
      if (credentials) Object.assign(changes, await sealCredentials(ctx, credentials));
      // The credentials being replaced: their account may have to be released below, and
      // another account's templates dropped.
      const previous = credentials ? await storedCredentials(ctx, existing) : null;
      let verified = false;
      // The credentials the check authenticated with (it may have registered a webhook).
      let checkedWith: Record<string, unknown> | null = null;
      if (input.settings != null || credentials) {
        // Stored before the provider check, as when creating: Viber's set_webhook posts an
        // event signed with the new auth token at once ("Setting a Webhook"), and the callback
        // route verifies it against the channel as stored, so with the old token still there
        // it would refuse the check and the new bot's webhook would never be set.
        const { credentialsCiphertext, credentialsHint, settings } = changes;
        const [stored] = await ctx.db
          .update(channels)
          .set({ credentialsCiphertext, credentialsHint, settings })
          .where(and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId)))
          .returning({ id: channels.id });
        if (!stored) throw new NotFoundError('Channel', existing.id);
        checkedWith = credentials ?? (await storedCredentials(ctx, existing));
        const checked = await checkWith(
          ctx,
          integration!,
          { ...existing, settings: changes.settings ?? existing.settings },
          checkedWith,
        );
        verified = checked.status === 'connected';
        Object.assign(changes, checked);
        // Other ids or credentials may name another provider account (a WhatsApp Business
        // Account, a 360dialog number, a Twilio account): when its templates were not listed
        // now, the cached list is another account's, and steps would be checked against it
        // (and refreshStaleTemplates keeps a cache it cannot replace). Dropped, steps are
        // refused TEMPLATES_UNAVAILABLE until a listing succeeds (verifyChannel, or the next
        // step saved).
        const otherAccount =
          (changes.settings !== undefined &&
            !sameCredentials(changes.settings, existing.settings)) ||
          (credentials !== null && !sameCredentials(previous ?? {}, credentials));
        if (otherAccount && integration!.connection?.listTemplates && !checked.templatesSyncedAt) {
          Object.assign(changes, { templates: null, templatesSyncedAt: null });
        }
      }
      // A status the caller sets wins over what the check concluded (switching a channel off,
      // or back on after a 410 from a custom webhook), except CONNECTED over credentials or
      // settings the provider has just refused: a form that sends the whole channel back,
      // status included, would otherwise leave a channel CONNECTED with a mistyped token.
      if (input.status != null && !(input.status === 'connected' && changes.status === 'error')) {
        changes.status = input.status;
      }
      const [channel] = await ctx.db
        .update(channels)
        .set({
          ...changes,
          // Without a status from the caller, the check's verdict does not switch on a channel
          // that is off: neither one switched off before this update, nor one switched off
          // while the provider was being asked (read in the row as the update finds it).
          ...(input.status == null && changes.status
            ? { status: keepSwitchedOff(changes.status) }
            : {}),
        })
        .where(and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId)))
        .returning();
      if (!channel) {
        await releaseGone(ctx, existing, checkedWith);
        throw new NotFoundError('Channel', existing.id);
      }
      // Other credentials that verify (the check has just pointed the new account's webhook
      // here): the old account (another Telegram bot or Viber account) still calls this
      // channel's URL, and Telegram's calls would even carry the channel's secret token. It is
      // released with the old credentials, and only while its webhook still points here. A
      // token that differs names another account or one its provider has since revoked (both
      // invalidate a bot's old token when they issue a new one), so releasing it never undoes
      // the new registration; the same token again is left alone.
      if (
        verified &&
        credentials &&
        previous &&
        Object.keys(previous).length > 0 &&
        !sameCredentials(previous, credentials)
      ) {
        await releaseWith(ctx, existing, 'credentials_replaced', previous);
      }
      return channel;
    },
  }),
  verifyChannel: t.drizzleField({
    type: 'channels',
    description:
      "Checks the channel's credentials with its provider again and lists its templates (WhatsApp); status and statusDetail show the result.",
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_query, _root, { id }, ctx) => {
      const existing = await findChannelRow(ctx, id);
      const integration = integrationOf(existing);
      if (integration && !existing.callbackToken) {
        // Saved before its integration took callbacks (Telegram, LINE, Viber were definitions
        // only): it gets its token now, stored before the check registers the webhook with it.
        existing.callbackToken = newCallbackToken(integration);
        if (existing.callbackToken) {
          await ctx.db
            .update(channels)
            .set({ callbackToken: existing.callbackToken })
            .where(and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId)));
        }
      }
      const checkedWith = integration ? await storedCredentials(ctx, existing) : null;
      const connection = integration
        ? await checkWith(ctx, integration, existing, checkedWith ?? {})
        : { statusDetail: 'This channel has no integration in this deployment' };
      // A channel switched off stays off, also when it is switched off while the provider is
      // being asked; only a check's verdict moves connected and error.
      if (existing.status === 'disconnected') delete connection.status;
      const [channel] = await ctx.db
        .update(channels)
        .set({
          ...connection,
          ...(connection.status ? { status: keepSwitchedOff(connection.status) } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId)))
        .returning();
      if (!channel) {
        await releaseGone(ctx, existing, checkedWith);
        throw new NotFoundError('Channel', existing.id);
      }
      return channel;
    },
  }),
  deleteChannel: t.id({
    description:
      "Deletes the channel and its contacts' identities on it; returns the deleted id. Steps that " +
      'still name it fail validation on the next publish. Where connecting registered our ' +
      'webhook with the provider (Telegram, Viber) and it still points at this channel, it is ' +
      'removed afterwards, best effort: the channel is deleted even when the provider cannot ' +
      'be reached or refuses the credentials.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      // The row is deleted first and the provider told after. A user must always be able to
      // delete a channel, so the delete never waits on, nor depends on, a provider that is
      // down or refuses the token: the release's outcome is only logged. And the delete is
      // the tenancy check: only a row this request removed from the caller's workspace comes
      // back (with the sealed credentials the release needs), so another workspace, or a
      // second delete racing this one, releases nothing. Updates Telegram sends in between
      // get a 404 and stay pending for the bot's owner (see the Telegram release).
      const [deleted] = isUuid(id)
        ? await ctx.db
            .delete(channels)
            .where(and(eq(channels.id, id), eq(channels.workspaceId, ctx.workspaceId)))
            .returning()
        : [];
      if (!deleted) throw new NotFoundError('Channel', String(id));
      await releaseWith(ctx, deleted, 'channel_deleted');
      return deleted.id;
    },
  }),
}));
