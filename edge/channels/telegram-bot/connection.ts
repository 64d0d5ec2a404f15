import { readChannel } from '../channel-config';
import {
  type ChannelConnection,
  type ConnectionContext,
  isChannelCallback,
  type ReleaseResult,
  type VerifyResult,
} from '../connection';
import { callProvider, type HttpAnswer, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { webhookKeptElsewhere } from '../webhook-takeover';
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

type Called = { ok: true; result: unknown } | { ok: false; transient: boolean; problem: string };

async function callMethod(
  token: string,
  method: string,
  body: Record<string, unknown>,
  context: ConnectionContext,
): Promise<Called> {
  const call = await callProvider(
    telegramMethodUrl(context.endpoints, token, method),
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { who: TELEGRAM_API, timeoutMs: context.timeoutMs },
  );
  if (!call.ok) {
    const detail = call.outcome.status === 'failed' ? call.outcome.detail : '';
    return { ok: false, transient: true, problem: detail };
  }
  const answer = readTelegramAnswer(call.answer.body);
  if (isSuccess(call.answer) && answer?.ok) return { ok: true, result: answer.result };
  return failed(call.answer, context);
}

function failed(answer: HttpAnswer, context: ConnectionContext): Called {
  const outcome = classifyTelegramAnswer(answer, context.now?.() ?? new Date());
  return outcome.status === 'failed'
    ? { ok: false, transient: outcome.retryable, problem: outcome.detail }
    : { ok: false, transient: false, problem: 'unexpected answer' };
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
  const info = await callMethod(token, 'getWebhookInfo', {}, context);
  if (!info.ok) {
    return { verdict: info.transient ? 'unreachable' : 'rejected', problem: info.problem };
  }
  const url = (info.result as { url?: unknown } | null)?.url;
  if (!isChannelCallback(url, context.callback.url)) {
    return {
      verdict: 'kept',
      detail: url ? "the bot's webhook is not this channel's" : 'the bot has no webhook',
    };
  }
  const deleted = await callMethod(
    token,
    'deleteWebhook',
    { drop_pending_updates: TELEGRAM_DROP_PENDING_UPDATES },
    context,
  );
  if (!deleted.ok) {
    return { verdict: deleted.transient ? 'unreachable' : 'rejected', problem: deleted.problem };
  }
  return { verdict: 'released', detail: 'webhook deleted' };
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
    if (!me.ok) {
      return { verdict: me.transient ? 'unreachable' : 'rejected', problem: me.problem };
    }
    const username = (me.result as { username?: unknown } | null)?.username;
    const bot = typeof username === 'string' ? `@${username}` : 'Telegram bot';
    if (!context.callback?.token) return { verdict: 'verified', detail: bot };
    // A bot has one webhook, which setWebhook replaces ("setWebhook"): it is read first
    // ("getWebhookInfo": `url`, empty when none is set) and left where it serves another
    // channel or service (webhook-takeover.ts).
    const current = await callMethod(token, 'getWebhookInfo', {}, context);
    if (!current.ok) {
      return {
        verdict: 'verified',
        detail: `${bot}; the webhook was not set: the bot's current webhook could not be read (${current.problem})`,
      };
    }
    const kept = await webhookKeptElsewhere(
      (current.result as { url?: unknown } | null)?.url,
      context.callback.url,
      context,
      TELEGRAM_WEBHOOK_WORDING,
    );
    if (kept) return { verdict: 'verified', detail: `${bot}; the webhook was not set: ${kept}` };
    const webhook = await callMethod(
      token,
      'setWebhook',
      {
        url: context.callback.url,
        secret_token: context.callback.token,
        allowed_updates: TELEGRAM_ALLOWED_UPDATES,
      },
      context,
    );
    return webhook.ok
      ? { verdict: 'verified', detail: `${bot}, webhook set` }
      : { verdict: 'verified', detail: `${bot}; the webhook was not set: ${webhook.problem}` };
  },
  release: releaseTelegramWebhook,
};
