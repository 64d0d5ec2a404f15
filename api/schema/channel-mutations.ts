import { and, eq, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
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
  type ConnectionColumns,
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

/** What a provider check's verdict is about: the channel's settings and credentials. */
type Configuration = Pick<ChannelRow, 'settings' | 'credentialsCiphertext'>;

/**
 * Whether `row` still holds the configuration a check was run on, both read back from the
 * database (jsonb gives a document's keys in one order). Every save of credentials seals them
 * with a fresh random IV (db/credentials.ts), so an equal ciphertext is the same save, not only
 * the same secrets.
 */
function stillAsChecked(row: Configuration, checked: Configuration): boolean {
  return (
    row.credentialsCiphertext === checked.credentialsCiphertext &&
    JSON.stringify(row.settings) === JSON.stringify(checked.settings)
  );
}

/**
 * Records what a provider check concluded on the channel `id`, in a transaction that locks its
 * row (FOR UPDATE) and sees whether it still holds the configuration the check was run on
 * (`checked`). The check itself ran outside any transaction (it takes seconds, and Viber's
 * set_webhook calls the callback route, which must read the configuration committed), so
 * another save may have stored other settings or credentials meanwhile: that save runs its
 * own check of what is stored now, and a verdict about what was stored before must not
 * overwrite it (a status, a detail naming another bot, another account's templates).
 * `write(asChecked)` gives the columns to set. Returns the row as it is then, or null when the
 * channel is gone.
 */
async function recordCheck(
  ctx: ApiContext,
  id: string,
  checked: Configuration,
  write: (asChecked: boolean) => PgUpdateSetSource<typeof channels>,
): Promise<{ channel: ChannelRow; asChecked: boolean } | null> {
  return ctx.db.transaction(async (tx) => {
    const where = and(eq(channels.id, id), eq(channels.workspaceId, ctx.workspaceId));
    const [row] = await tx.select().from(channels).where(where).for('update');
    if (!row) return null;
    const asChecked = stillAsChecked(row, checked);
    const set = write(asChecked);
    // Nothing to write (a verdict dropped, nothing else set): the row as it is.
    if (Object.values(set).every((value) => value === undefined)) {
      return { channel: row, asChecked };
    }
    const [channel] = await tx.update(channels).set(set).where(where).returning();
    return { channel: channel!, asChecked };
  });
}

/**
 * Releases, once a check was recorded, the provider accounts (Telegram bots, Viber accounts:
 * see releaseWith) among `replaced` whose webhook may still point at `channel` although it no
 * longer uses them: credentials an update replaced, and those a check registered while another
 * save replaced them (that save's own release may have come before the check set the webhook).
 * The credentials the channel holds now are never released, nor any twice.
 */
async function releaseReplaced(
  ctx: ApiContext,
  channel: ChannelRow,
  replaced: Record<string, unknown>[],
): Promise<void> {
  const current = await storedCredentials(ctx, channel);
  const released: Record<string, unknown>[] = [];
  for (const credentials of replaced) {
    if (
      Object.keys(credentials).length === 0 ||
      sameCredentials(credentials, current) ||
      released.some((other) => sameCredentials(other, credentials))
    ) {
      continue;
    }
    released.push(credentials);
    await releaseWith(ctx, channel, 'credentials_replaced', credentials);
  }
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
      'Saves a channel after checking its settings; where the provider has a cheap check, the credentials are verified too (status and statusDetail say how it went). A channel deleted while it is checked answers NotFoundError.',
    // NotFoundError: the row is stored before the provider check (which may take seconds), so
    // a deleteChannel can remove it meanwhile; the save then answers as if the delete came first.
    errors: { types: [ValidationError, NotFoundError] },
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
      const [inserted] = await ctx.db
        .insert(channels)
        .values({
          id,
          workspaceId: ctx.workspaceId,
          type: input.type,
          provider: integration!.definition.provider,
          name,
          settings,
          callbackToken,
          maxMessagesPerSecond,
          ...sealed,
        })
        .returning();
      const connection = await checkWith(
        ctx,
        integration!,
        { id, type: input.type, name, settings, callbackToken },
        credentials ?? {},
      );
      // An updateChannel that saved other settings or credentials meanwhile checks those: this
      // verdict is then not the channel's.
      const recorded = await recordCheck(ctx, id, inserted!, (asChecked) =>
        asChecked ? connection : {},
      );
      if (!recorded) {
        const { provider } = integration!.definition;
        const gone = { id, type: input.type, provider, name, settings, callbackToken };
        await releaseGone(ctx, gone, credentials);
        throw new NotFoundError('Channel', id);
      }
      if (credentials && !recorded.asChecked) {
        await releaseReplaced(ctx, recorded.channel, [credentials]);
      }
      return recorded.channel;
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
      // A status the caller sets wins over what the check concluded (switching a channel off,
      // or back on after a 410 from a custom webhook), except CONNECTED over credentials or
      // settings the provider has just refused: a form that sends the whole channel back,
      // status included, would otherwise leave a channel CONNECTED with a mistyped token.
      // `verdict`: the check's columns; null when nothing was checked; 'superseded' when
      // another save replaced the configuration during the check (CONNECTED is then not the
      // caller's to vouch for: it was sent with a configuration no longer stored).
      const withStatus = (verdict: ConnectionColumns | 'superseded' | null) => {
        const refused =
          verdict === 'superseded' || (verdict !== null && verdict.status === 'error');
        if (input.status != null && !(input.status === 'connected' && refused)) {
          return { status: input.status };
        }
        // Without a status from the caller, the check's verdict does not switch on a channel
        // that is off: neither one switched off before this update, nor one switched off
        // while the provider was being asked (read in the row as the update finds it).
        return verdict !== null && verdict !== 'superseded' && verdict.status
          ? { status: keepSwitchedOff(verdict.status) }
          : {};
      };
      const where = and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId));
      if (input.settings == null && !credentials) {
        const [channel] = await ctx.db
          .update(channels)
          .set({ ...changes, ...withStatus(null) })
          .where(where)
          .returning();
        if (!channel) throw new NotFoundError('Channel', existing.id);
        return channel;
      }
      const sealed = credentials ? await sealCredentials(ctx, credentials) : {};
      // Stored before the provider check, as when creating: Viber's set_webhook posts an event
      // signed with the new auth token at once ("Setting a Webhook"), and the callback route
      // verifies it against the channel as stored, so with the old token still there it would
      // refuse the check and the new bot's webhook would never be set. The row is locked while
      // it is read and written, and committed before the check: two updates at once store one
      // after the other, and the second checks what it stores with what the first stored (its
      // settings with the first's credentials, or the reverse), never with a row read before.
      // Holding the lock across the check instead would keep a Viber callback from reading the
      // new token, and every other save of the channel waiting for a provider.
      const stored = await ctx.db.transaction(async (tx) => {
        const [before] = await tx.select().from(channels).where(where).for('update');
        if (!before) return null;
        const [after] = await tx
          .update(channels)
          .set({ ...sealed, settings: changes.settings })
          .where(where)
          .returning();
        return { before, after: after! };
      });
      if (!stored) throw new NotFoundError('Channel', existing.id);
      const { before, after } = stored;
      // The credentials being replaced: their account may have to be released below, and
      // another account's templates dropped.
      const previous = credentials ? await storedCredentials(ctx, before) : null;
      // The credentials the check authenticates with (it may register a webhook).
      const checkedWith = credentials ?? (await storedCredentials(ctx, before));
      const checked = await checkWith(ctx, integration!, after, checkedWith);
      // Other ids or credentials may name another provider account (a WhatsApp Business
      // Account, a 360dialog number, a Twilio account): when its templates were not listed
      // now, the cached list is another account's, and steps would be checked against it (and
      // refreshStaleTemplates keeps a cache it cannot replace). Dropped, steps are refused
      // TEMPLATES_UNAVAILABLE until a listing succeeds (verifyChannel, or the next step saved).
      const otherAccount =
        (changes.settings !== undefined && !sameCredentials(changes.settings, before.settings)) ||
        (credentials !== null && !sameCredentials(previous ?? {}, credentials));
      const dropTemplates =
        otherAccount && integration!.connection?.listTemplates && !checked.templatesSyncedAt;
      const { settings: _stored, ...own } = changes;
      const recorded = await recordCheck(ctx, existing.id, after, (asChecked) =>
        // Replaced while the provider was being asked: that save's own check gives the
        // verdict; this update keeps only what the caller set besides its configuration.
        asChecked
          ? {
              ...own,
              ...checked,
              ...(dropTemplates ? { templates: null, templatesSyncedAt: null } : {}),
              ...withStatus(checked),
            }
          : { ...own, ...withStatus('superseded') },
      );
      if (!recorded) {
        await releaseGone(ctx, existing, checkedWith);
        throw new NotFoundError('Channel', existing.id);
      }
      // Other credentials that verify (the check has just pointed the new account's webhook
      // here): the old account (another Telegram bot or Viber account) still calls this
      // channel's URL, and Telegram's calls would even carry the channel's secret token. It is
      // released with the old credentials, and only while its webhook still points here. A
      // token that differs names another account or one its provider has since revoked (both
      // invalidate a bot's old token when they issue a new one), so releasing it never undoes
      // the new registration; the same token again is left alone. When another save replaced
      // these credentials during the check, the account they name is released too: that
      // save's release of it may have come before this check set its webhook.
      const verified = checked.status === 'connected';
      const replaced = [
        ...(previous && (verified || !recorded.asChecked) ? [previous] : []),
        ...(credentials ? [checkedWith] : []),
      ];
      await releaseReplaced(ctx, recorded.channel, replaced);
      return recorded.channel;
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
        // Two verifications at once keep the first token stored: the webhook each registers
        // must carry the token the callback route checks.
        const token = newCallbackToken(integration);
        if (token) {
          const [stored] = await ctx.db
            .update(channels)
            .set({ callbackToken: sql`coalesce(${channels.callbackToken}, ${token})` })
            .where(and(eq(channels.id, existing.id), eq(channels.workspaceId, ctx.workspaceId)))
            .returning({ callbackToken: channels.callbackToken });
          if (!stored) throw new NotFoundError('Channel', existing.id);
          existing.callbackToken = stored.callbackToken;
        }
      }
      const checkedWith = integration ? await storedCredentials(ctx, existing) : null;
      const connection = integration
        ? await checkWith(ctx, integration, existing, checkedWith ?? {})
        : { statusDetail: 'This channel has no integration in this deployment' };
      // A channel switched off stays off, also when it is switched off while the provider is
      // being asked; only a check's verdict moves connected and error.
      if (existing.status === 'disconnected') delete connection.status;
      // An updateChannel that saved other settings or credentials while the provider was being
      // asked checks those itself: this verdict, about the ones read before, is dropped.
      const recorded = await recordCheck(ctx, existing.id, existing, (asChecked) =>
        asChecked
          ? {
              ...connection,
              ...(connection.status ? { status: keepSwitchedOff(connection.status) } : {}),
              updatedAt: new Date(),
            }
          : {},
      );
      if (!recorded) {
        await releaseGone(ctx, existing, checkedWith);
        throw new NotFoundError('Channel', existing.id);
      }
      // The check may have pointed the replaced account's webhook here after the update that
      // replaced it released that account.
      if (checkedWith && !recorded.asChecked) {
        await releaseReplaced(ctx, recorded.channel, [checkedWith]);
      }
      return recorded.channel;
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
