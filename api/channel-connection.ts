import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { accountLockKeys } from '../db/account-locks';
import { lockKeys } from '../db/address-locks';
import type { Database } from '../db/client';
import { randomBytes, toBase64Url } from '../db/encoding';
import { uuidArrayParam } from '../db/rows';
import { channels, steps } from '../db/schema';
import {
  type ConnectionContext,
  type ReleaseResult,
  sameDeploymentChannelId,
  templatesTruncatedDetail,
  type VerifyResult,
} from '../edge/channels/connection';
import type { ChannelIntegration } from '../edge/channels/integration';
import { integrationFor } from '../edge/channels/registry';
import type { ChannelRecord } from '../edge/channels/types';
import { log } from '../edge/log';
import { isForbiddenInName } from '../workflow/display-name';
import { isUuid } from '../workflow/ids';
import type { SendMessageConfig } from '../workflow/types';
import type { ApiContext } from './context';
import { callbackOf } from './schema/channel-callback';

/**
 * Connecting a channel beyond its settings: a cheap provider call that proves the credentials
 * (the channel's status and a human-readable detail show the result), the provider account's
 * templates (listed and cached so steps are checked when saved), and the verify token a
 * provider's callback handshake must present. Provider calls happen outside transactions that
 * write: a webhook's read and set hold only an account's advisory lock (`onePerAccount`).
 */

/** How long one provider check may take while a channel is saved. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Cached templates older than this are listed again before a step that uses them is checked. */
export const TEMPLATE_CACHE_SECONDS = 15 * 60;

/** Random bytes in a callback verify token (base64url: 32 characters). */
const CALLBACK_TOKEN_BYTES = 24;

/** A new verify token for an integration whose provider calls back; null otherwise. */
export function newCallbackToken(integration: ChannelIntegration): string | null {
  return integration.callbacks ? toBase64Url(randomBytes(CALLBACK_TOKEN_BYTES)) : null;
}

/** Longest `statusDetail` stored: the gist of a provider's answer, not all of it. */
export const MAX_STATUS_DETAIL_CHARS = 500;

/**
 * `text` as one line of at most MAX_STATUS_DETAIL_CHARS characters, for `statusDetail`. Much
 * of it is the provider's own error text, free text by their documentation (Telegram's
 * `description`, Viber's `status_message`, LINE's `message`) that no adapter shortens: a line
 * break, a terminal escape or a bidirectional override in it would break or disguise the line
 * a dashboard or log shows, and a long page of it would be stored and served on every read.
 * Such characters (those refused in names) become spaces; the cut keeps surrogate pairs whole.
 */
export function statusDetailLine(text: string): string {
  let line = '';
  for (const char of text) line += isForbiddenInName(char.charCodeAt(0)) ? ' ' : char;
  line = line.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  return chars.length <= MAX_STATUS_DETAIL_CHARS
    ? line
    : `${chars.slice(0, MAX_STATUS_DETAIL_CHARS - 1).join('')}…`;
}

/** The channel columns a provider check sets. */
export type ConnectionColumns = Pick<
  typeof channels.$inferInsert,
  'status' | 'statusDetail' | 'verifiedAt' | 'templates' | 'templatesSyncedAt'
>;

function connectionContext(ctx: ApiContext): ConnectionContext {
  return {
    endpoints: ctx.providerEndpoints,
    allowPrivateUrls: ctx.allowPrivateUrls,
    timeoutMs: CONNECT_TIMEOUT_MS,
  };
}

/**
 * Asks the provider whether the channel works: verified → connected; credentials or ids
 * refused → error, with the provider's words; provider unreachable → status unchanged and the
 * detail says it could not be verified. A verified channel's templates are listed too. A check
 * that throws (an answer the adapter could not read) counts as unreachable, logged: the
 * channel has already been stored with what the caller sent, and an exception here would leave
 * it so with an untyped error instead of a detail saying it was not verified.
 */
export async function checkConnection(
  ctx: ApiContext,
  integration: ChannelIntegration,
  channel: ChannelRecord & { callbackToken: string | null },
): Promise<ConnectionColumns> {
  const connection = integration.connection;
  if (!connection) return { statusDetail: null };
  const context = connectionContext(ctx);
  // Providers whose webhook is registered through their API (Telegram, Viber, LINE) need its URL.
  const callback = callbackOf(ctx, integration, channel);
  if (callback) {
    context.callback = { url: callback.url, token: callback.verifyToken };
    context.isDeletedChannelCallback = (webhookUrl) =>
      isDeletedChannelCallback(ctx, webhookUrl, callback.url);
  }
  let columns: ConnectionColumns;
  try {
    // Only the verification reads and sets the webhook: the templates are listed after the
    // account is let go of (channels sharing one WhatsApp token list theirs at once).
    const verify = () => connection.verify(channel, context);
    columns = await checkWithProvider(
      connection,
      channel,
      context,
      callback ? () => onePerAccount(ctx, channel, verify) : verify,
    );
  } catch (error) {
    log('warn', 'channels: the provider check failed', { channelId: channel.id, error });
    const problem = error instanceof Error ? error.message : String(error);
    columns = { statusDetail: `Not verified: the check failed (${problem})` };
  }
  if (columns.statusDetail) columns.statusDetail = statusDetailLine(columns.statusDetail);
  return columns;
}

/**
 * Runs `call`, a check or release that may read the provider account's one webhook and then set
 * or remove it (Telegram, Viber, LINE: edge/channels/webhook-takeover.ts), holding the account's
 * advisory locks (db/account-locks.ts) in a transaction of its own that writes nothing. Two
 * channels connecting one bot at the same instant would otherwise both read its webhook unset
 * and both set it, and the first would silently lose its inbound messages; in turn, the second
 * reads the first's webhook and keeps it there, its detail naming that channel as for any other
 * owner. A release (a deleted channel's) is ordered the same way against a connect that takes
 * the webhook over, so it never removes one set after it read the webhook.
 *
 * The read and the set are two provider calls, so the lock lasts them (within
 * CONNECT_TIMEOUT_MS each); it holds one pooled connection and no row, and only channels
 * sharing a credential ever wait for it. Which integrations register a webhook is theirs to
 * know, so every check given a callback URL takes it: for the others (WhatsApp, Messenger) it
 * costs only that two verifications of one account's channels at the same instant take turns.
 * The check's own reads (`isDeletedChannelCallback`) and the channel's writes go through other
 * connections: the row is stored before and the verdict after, each committed at once (a
 * Viber callback during set_webhook reads it).
 */
async function onePerAccount<T>(
  ctx: ApiContext,
  channel: ChannelRecord,
  call: () => Promise<T>,
): Promise<T> {
  const keys = await accountLockKeys(channel.provider, channel.credentials);
  if (keys.length === 0) return call();
  return ctx.db.transaction(async (tx) => {
    await lockKeys(tx as unknown as Database, keys);
    return call();
  });
}

/**
 * Whether `webhookUrl` is the callback URL, at this deployment's callback origin, of a channel
 * that no longer exists (any workspace's: only its absence is read, nothing of it is shown).
 * Deleting a channel releases its Telegram or Viber webhook only when the provider can be
 * reached; one left behind points at a channel that will never answer, and a new channel may
 * take it over. Channel ids are random UUIDs, never reused.
 */
async function isDeletedChannelCallback(
  ctx: ApiContext,
  webhookUrl: string,
  callbackUrl: string,
): Promise<boolean> {
  const id = sameDeploymentChannelId(webhookUrl, callbackUrl);
  if (!id) return false;
  const [row] = await ctx.db
    .select({ id: channels.id })
    .from(channels)
    .where(eq(channels.id, id))
    .limit(1);
  return !row;
}

async function checkWithProvider(
  connection: NonNullable<ChannelIntegration['connection']>,
  channel: ChannelRecord,
  context: ConnectionContext,
  verify: () => Promise<VerifyResult>,
): Promise<ConnectionColumns> {
  const result = await verify();
  if (result.verdict !== 'verified') {
    return result.verdict === 'rejected'
      ? { status: 'error', statusDetail: result.problem }
      : { statusDetail: `Not verified: ${result.problem}` };
  }
  const now = new Date();
  const columns: ConnectionColumns = {
    status: 'connected',
    statusDetail: `Verified: ${result.detail}`,
    verifiedAt: now,
  };
  if (connection.listTemplates) {
    const listed = await connection.listTemplates(channel, context);
    if (listed.ok) {
      Object.assign(columns, { templates: listed.templates, templatesSyncedAt: now });
      if (listed.truncated) {
        columns.statusDetail = `${columns.statusDetail}; ${templatesTruncatedDetail(listed.templates.length)}`;
      }
    } else
      columns.statusDetail = `${columns.statusDetail}; templates could not be listed: ${listed.problem}`;
  }
  return columns;
}

/** Why a channel's webhook is released, in the log line. */
export type ReleaseCause = 'channel_deleted' | 'credentials_replaced';

/**
 * Tells the provider to stop calling the channel's callback URL, for integrations whose
 * connection registered it through the provider's API (Telegram, Viber: `release`), and only
 * for a channel that has a callback token (connecting registers the webhook with it). Same
 * timeout and private-URL rule as the checks when saving. Best effort: the outcome is logged,
 * never thrown, and the caller's own work (a delete, an update) never depends on it. Returns
 * the outcome, or null when there was nothing to release.
 */
export async function releaseConnection(
  ctx: ApiContext,
  integration: ChannelIntegration | undefined,
  channel: ChannelRecord & { callbackToken: string | null },
  cause: ReleaseCause,
): Promise<ReleaseResult | null> {
  const release = integration?.connection?.release;
  const callback = channel.callbackToken ? callbackOf(ctx, integration, channel) : null;
  if (!release || !callback) return null;
  const context = connectionContext(ctx);
  context.callback = { url: callback.url, token: callback.verifyToken };
  let result: ReleaseResult;
  try {
    result = await onePerAccount(ctx, channel, () => release(channel, context));
  } catch (error) {
    // A bug in a release must not fail the request that deletes the channel.
    log('error', 'channel.webhook_release_failed', {
      workspaceId: ctx.workspaceId,
      channelId: channel.id,
      provider: channel.provider,
      cause,
      error,
    });
    return { verdict: 'unreachable', problem: 'the release failed unexpectedly' };
  }
  const failed = result.verdict === 'rejected' || result.verdict === 'unreachable';
  log(failed ? 'warn' : 'info', 'channel.webhook_release', {
    workspaceId: ctx.workspaceId,
    channelId: channel.id,
    provider: channel.provider,
    cause,
    verdict: result.verdict,
    detail: 'detail' in result ? result.detail : result.problem,
  });
  return result;
}

/** Channel ids whose templates a set of step configs relies on. */
function templateChannelIds(configs: readonly SendMessageConfig[]): string[] {
  const ids = new Set<string>();
  for (const config of configs) {
    for (const response of config.channelResponses ?? []) {
      if (response.content?.type === 'whatsapp_template' && isUuid(response.channelId)) {
        ids.add(response.channelId);
      }
    }
  }
  return [...ids];
}

/**
 * Lists again the templates of the channels `configs` send templates on, when the cached list
 * is missing or older than TEMPLATE_CACHE_SECONDS, so that saving or publishing a step checks
 * it against what the provider holds now. A provider that cannot be reached leaves the cache
 * as it was (validation then uses it, or refuses when there is none).
 */
export async function refreshStaleTemplates(
  ctx: ApiContext,
  configs: readonly SendMessageConfig[],
): Promise<void> {
  const ids = templateChannelIds(configs);
  if (ids.length === 0) return;
  const stale = await ctx.db
    .select()
    .from(channels)
    .where(
      and(
        eq(channels.workspaceId, ctx.workspaceId),
        // One array parameter however many channels the config names (see loadStepLookups).
        sql`${channels.id} = any(${uuidArrayParam(ids)})`,
        or(
          isNull(channels.templatesSyncedAt),
          lt(
            channels.templatesSyncedAt,
            sql`now() - ${TEMPLATE_CACHE_SECONDS} * interval '1 second'`,
          ),
        ),
      ),
    );
  await Promise.all(
    stale.map(async function refreshTemplates(row) {
      const integration = integrationFor(row.type, row.provider);
      const listTemplates = integration?.connection?.listTemplates;
      if (!listTemplates || !row.credentialsCiphertext) return;
      const credentials = await ctx.credentials
        .decrypt<Record<string, unknown>>(row.credentialsCiphertext)
        .catch(() => null);
      if (!credentials) return;
      const listed = await listTemplates(
        {
          id: row.id,
          type: row.type,
          provider: row.provider ?? '',
          name: row.name,
          settings: row.settings,
          credentials,
        },
        connectionContext(ctx),
      );
      if (!listed.ok) return;
      await ctx.db
        .update(channels)
        .set({ templates: listed.templates, templatesSyncedAt: new Date() })
        .where(and(eq(channels.id, row.id), eq(channels.workspaceId, ctx.workspaceId)));
    }),
  );
}

/** `refreshStaleTemplates` for every Send a Message step of a workflow's draft (before publish). */
export async function refreshWorkflowTemplates(ctx: ApiContext, workflowId: string): Promise<void> {
  if (!isUuid(workflowId)) return;
  const rows = await ctx.db
    .select({ config: steps.config })
    .from(steps)
    .where(
      and(
        eq(steps.workflowId, workflowId),
        eq(steps.workspaceId, ctx.workspaceId),
        eq(steps.type, 'send_message'),
      ),
    );
  await refreshStaleTemplates(
    ctx,
    rows.map((row) => row.config as unknown as SendMessageConfig),
  );
}
