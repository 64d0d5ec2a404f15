import { readChannel } from '../channel-config';
import type {
  ChannelConnection,
  ConnectionContext,
  ReleaseResult,
  VerifyResult,
} from '../connection';
import { type ConnectionCall, failedVerdict, refused, unanswered } from '../connection-call';
import { callProvider, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { connectWebhook, releaseWebhook, type WebhookRead } from '../webhook-takeover';
import { readTelegramAnswer, TELEGRAM_API, telegramMethodUrl } from './bot-api';
import { telegramBotDefinition } from './definition';
import { classifyTelegramAnswer } from './failures';

/** How a detail names a bot whose webhook serves elsewhere, and how its owner frees it. */
const TELEGRAM_WEBHOOK_WORDING = {
  holder: 'bot',
  free: 'remove it there (delete that channel, or call deleteWebhook)',
};

/** The updates we ask for ("setWebhook", `allowed_updates`; "Update"): messages only. */
export const TELEGRAM_ALLOWED_UPDATES = ['message'] as const;

async function callMethod(
  token: string,
  method: string,
  body: Record<string, unknown>,
  context: ConnectionContext,
): Promise<ConnectionCall<{ result: unknown }>> {
  const call = await callProvider(
    telegramMethodUrl(context.endpoints, token, method),
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { who: TELEGRAM_API, timeoutMs: context.timeoutMs },
  );
  if (!call.ok) return unanswered(call.outcome);
  const answer = readTelegramAnswer(call.answer.body);
  if (isSuccess(call.answer) && answer?.ok) return { ok: true, result: answer.result };
  return refused(classifyTelegramAnswer(call.answer, context.now?.() ?? new Date()));
}

/** The bot's webhook ("getWebhookInfo": a WebhookInfo whose `url` is empty when none is set). */
async function currentWebhook(token: string, context: ConnectionContext): Promise<WebhookRead> {
  const info = await callMethod(token, 'getWebhookInfo', {}, context);
  return info.ok ? { ok: true, url: (info.result as { url?: unknown } | null)?.url } : info;
}

/**
 * Releasing a channel reads the bot's webhook (`getWebhookInfo`, "getWebhookInfo": a
 * WebhookInfo whose `url` is empty when none is set) and, only while it is still this
 * channel's callback URL (at any address: `isChannelCallback`), removes it with
 * `deleteWebhook` ("deleteWebhook": returns True). A bot connected since to another channel,
 * or to another service, keeps its webhook. A token Telegram no longer knows is refused (401
 * Unauthorized), as for every method.
 *
 * `drop_pending_updates` is false: the updates Telegram still holds for the bot are messages
 * its users sent, which belong to the bot's owner, not to us. Kept, they reach the owner's
 * next `getUpdates` or webhook (Telegram keeps them at most 24 hours, "Getting updates");
 * dropped, they would be lost for good by a delete the owner may not have meant for them.
 */
export const TELEGRAM_DROP_PENDING_UPDATES = false;

async function releaseTelegramWebhook(
  channel: ChannelRecord,
  context: ConnectionContext,
): Promise<ReleaseResult> {
  const read = readChannel(telegramBotDefinition, channel, {
    allowPrivateUrls: context.allowPrivateUrls,
  });
  if (!read.ok) return { verdict: 'rejected', problem: read.detail };
  if (!context.callback) return { verdict: 'kept', detail: 'no callback URL to release' };
  const token = read.credentials?.botToken ?? '';
  return releaseWebhook({
    current: await currentWebhook(token, context),
    callbackUrl: context.callback.url,
    holder: TELEGRAM_WEBHOOK_WORDING.holder,
    remove: () =>
      callMethod(
        token,
        'deleteWebhook',
        { drop_pending_updates: TELEGRAM_DROP_PENDING_UPDATES },
        context,
      ),
    removed: 'webhook deleted',
  });
}

/**
 * Connecting asks `getMe` (Bot API, "getMe": proves the token, names the bot), reads the bot's
 * webhook (`getWebhookInfo`) and, when it is unset or already this channel's, points it at the
 * channel's callback URL with `setWebhook` ("setWebhook": `url`,
 * `secret_token` of 1-256 characters A-Z a-z 0-9 _ -, which our base64url callback token is,
 * and `allowed_updates`). A webhook Telegram refuses (it wants HTTPS on port 443, 80, 88 or
 * 8443) leaves the channel able to send, and the detail says inbound messages will not arrive;
 * so does a webhook that serves another channel or service, which is left where it is.
 */
export const telegramBotConnection: ChannelConnection = {
  async verify(channel, context): Promise<VerifyResult> {
    const read = readChannel(telegramBotDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const token = read.credentials?.botToken ?? '';
    const me = await callMethod(token, 'getMe', {}, context);
    if (!me.ok) return failedVerdict(me);
    const username = (me.result as { username?: unknown } | null)?.username;
    const bot = typeof username === 'string' ? `@${username}` : 'Telegram bot';
    if (!context.callback?.token) return { verdict: 'verified', detail: bot };
    const { url, token: secretToken } = context.callback;
    // A bot has one webhook, which setWebhook replaces ("setWebhook"): it is read first
    // ("getWebhookInfo": `url`, empty when none is set) and left where it serves another
    // channel or service (webhook-takeover.ts).
    return connectWebhook({
      bot,
      current: await currentWebhook(token, context),
      callbackUrl: url,
      context,
      wording: TELEGRAM_WEBHOOK_WORDING,
      setWebhook: () =>
        callMethod(
          token,
          'setWebhook',
          { url, secret_token: secretToken, allowed_updates: TELEGRAM_ALLOWED_UPDATES },
          context,
        ),
    });
  },
  release: releaseTelegramWebhook,
};
