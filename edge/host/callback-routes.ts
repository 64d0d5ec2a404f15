import { and, eq, ne, sql } from 'drizzle-orm';
import type { Hono } from 'hono';
import { CredentialCipher } from '../../db/credentials';
import { channels } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import { channelEventBatches } from '../callbacks/message';
import type { CallbackChannel, ChannelCallbacks } from '../channels/callbacks';
import type { ChannelEvent } from '../channels/events';
import type { ChannelIntegration } from '../channels/integration';
import { integrationFor, providerOf } from '../channels/registry';
import { log } from '../log';
import { withDatabase } from './database-middleware';
import type { AppEnv } from './env';

/** Where providers send callbacks: `/callbacks/<provider>/<channel id>`. */
export const CALLBACK_ROUTE = '/callbacks/:provider/:channelId';

/**
 * Largest callback body accepted. Meta batches up to 1,000 updates in one webhook of up to
 * 3 MB (Graph API, Webhooks, "Event Notifications"); anything larger is refused unread.
 */
export const MAX_CALLBACK_BYTES = 4 * 1024 * 1024;

/**
 * The URL a provider called, as it knows it: behind a tunnel or proxy the request arrives at
 * another host, so the path and query are put under `PUBLIC_URL` when one is set (Twilio signs
 * the URL it called).
 */
function publicRequestUrl(requestUrl: string, publicUrl: string | undefined): string {
  if (!publicUrl) return requestUrl;
  const { pathname, search } = new URL(requestUrl);
  return `${publicUrl.replace(/\/+$/, '')}${pathname}${search}`;
}

type Found = {
  integration: ChannelIntegration;
  channel: CallbackChannel;
  workspaceId: string;
} | null;

/**
 * Most other channels of one workspace and integration a shared-URL callback is also parsed
 * for (each costs a credentials decryption and a signature check per callback).
 */
const MAX_SHARED_URL_CHANNELS = 50;

/** A channel row as callbacks see it, its credentials decrypted. */
async function callbackChannel(
  row: typeof channels.$inferSelect,
  provider: string,
  cipher: CredentialCipher,
): Promise<CallbackChannel> {
  const credentials = row.credentialsCiphertext
    ? await cipher.decrypt<Record<string, unknown>>(row.credentialsCiphertext).catch(() => ({}))
    : {};
  return {
    id: row.id,
    type: row.type,
    provider,
    name: row.name,
    settings: row.settings,
    credentials,
    callbackToken: row.callbackToken,
  };
}

/**
 * The channel a callback URL names, if it exists, goes through that provider, and its
 * integration takes callbacks; its credentials decrypted (the signing secret is among them).
 */
async function findChannel(
  db: AppEnv['Variables']['db'],
  cipher: CredentialCipher,
  provider: string,
  channelId: string,
): Promise<Found> {
  if (!isUuid(channelId)) return null;
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, channelId)));
  if (!row || providerOf(row) !== provider) return null;
  const integration = integrationFor(row.type, provider);
  if (!integration?.callbacks) return null;
  return {
    integration,
    channel: await callbackChannel(row, provider, cipher),
    workspaceId: row.workspaceId,
  };
}

/**
 * The events a shared-URL callback (`ChannelCallbacks.sharedAppUrl`: Meta posts every number's
 * or Page's webhooks to its app's one callback URL) holds for the workspace's other channels
 * of the same integration on the accounts it names: each whose own signature check passes on
 * the request, which proves the payload comes from its app too, gets the entries about its
 * number or Page. Without this, a second number or Page of one app heard nothing: its entries
 * reached the first channel's URL and were skipped there as not that channel's.
 */
async function sharedUrlEvents(
  db: AppEnv['Variables']['db'],
  cipher: CredentialCipher,
  found: NonNullable<Found>,
  look: { setting: string; accounts: string[] },
  request: Parameters<ChannelCallbacks['verify']>[0],
  body: string,
): Promise<ChannelEvent[]> {
  const { channel, integration } = found;
  const rows = await db
    .select()
    .from(channels)
    .where(
      and(
        eq(channels.workspaceId, found.workspaceId),
        eq(channels.type, channel.type),
        ne(channels.id, channel.id),
        sql`${channels.settings} ->> ${look.setting} = any(${sql.param(look.accounts)}::text[])`,
      ),
    )
    .orderBy(channels.createdAt)
    .limit(MAX_SHARED_URL_CHANNELS);
  const events: ChannelEvent[] = [];
  for (const row of rows) {
    if (providerOf(row) !== channel.provider) continue;
    const other = await callbackChannel(row, channel.provider, cipher);
    if ((await integration.callbacks!.verify(request, other)) !== 'ok') continue;
    events.push(...integration.callbacks!.parse(body, other));
  }
  return events;
}

/**
 * Provider callback routes, one per channel. GET answers the provider's subscription
 * handshake. POST checks the signature on the raw body first (missing: 401, wrong: 403, and
 * nothing changes), then parses the payload into provider-neutral events and puts them on the
 * callbacks queue, answering 200 at once: the database work happens in the queue consumer
 * (edge/callbacks/consumer.ts), where provider retries of one event have one effect.
 */
export function callbackRoutes(app: Hono<AppEnv>): void {
  app.get(CALLBACK_ROUTE, withDatabase(), async function callbackHandshake(c) {
    const { provider, channelId } = c.req.param();
    const found = await findChannel(
      c.var.db,
      new CredentialCipher(c.var.config.credentialsKey),
      provider,
      channelId,
    );
    if (!found?.integration.callbacks?.handshake) return c.json({ error: 'Not found' }, 404);
    const answer = found.integration.callbacks.handshake(
      new URL(c.req.url).searchParams,
      found.channel,
    );
    if (answer.status !== 200) {
      log('warn', 'callback handshake refused', { requestId: c.var.requestId, channelId });
    }
    return c.text(answer.body, answer.status as 200 | 403);
  });

  app.post(CALLBACK_ROUTE, withDatabase(), async function callbackEvents(c) {
    const { provider, channelId } = c.req.param();
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_CALLBACK_BYTES) return c.json({ error: 'Payload too large' }, 413);
    const cipher = new CredentialCipher(c.var.config.credentialsKey);
    const found = await findChannel(c.var.db, cipher, provider, channelId);
    if (!found?.integration.callbacks) return c.json({ error: 'Not found' }, 404);
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > MAX_CALLBACK_BYTES) return c.json({ error: 'Payload too large' }, 413);
    const { callbacks } = found.integration;
    const request = {
      headers: c.req.raw.headers,
      body,
      url: publicRequestUrl(c.req.url, c.var.config.publicUrl),
    };
    const verdict = await callbacks.verify(request, found.channel);
    if (verdict !== 'ok') {
      log('warn', 'callback refused: signature', {
        requestId: c.var.requestId,
        channelId,
        verdict,
      });
      return verdict === 'missing'
        ? c.json({ error: 'Signature required' }, 401)
        : c.json({ error: 'Invalid signature' }, 403);
    }
    const text = new TextDecoder().decode(body);
    const events = callbacks.parse(text, found.channel);
    const shared = callbacks.sharedAppUrl;
    if (shared) {
      // Only a payload that names another account costs a look-up (one channel per app, the
      // usual case, costs none).
      const own = found.channel.settings[shared.accountSetting];
      const others = [...new Set(shared.accountsIn(text))].filter((account) => account !== own);
      if (others.length > 0) {
        const look = { setting: shared.accountSetting, accounts: others };
        events.push(...(await sharedUrlEvents(c.var.db, cipher, found, look, request, text)));
      }
    }
    for (const batch of channelEventBatches(events)) {
      // A queue that refuses fails the request, so the provider retries the whole callback.
      await c.env.CALLBACK_QUEUE.sendBatch(batch.map((body) => ({ body })));
    }
    log('info', 'callback accepted', {
      requestId: c.var.requestId,
      channelId,
      events: events.length,
    });
    return c.text('ok', 200);
  });
}
