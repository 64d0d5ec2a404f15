import { readChannel } from '../channel-config';
import type {
  ChannelConnection,
  ConnectionContext,
  ReleaseResult,
  VerifyResult,
} from '../connection';
import { type ConnectionCall, failedVerdict, refused, unanswered } from '../connection-call';
import { callProvider, classifyHttpStatus, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { connectWebhook, releaseWebhook } from '../webhook-takeover';
import { readViberAnswer, VIBER_API, viberHeaders, viberUrl } from './bot-api';
import { viberBotDefinition } from './definition';
import { classifyViberStatus } from './failures';

/** How a detail names an account whose webhook serves elsewhere, and how its owner frees it. */
const VIBER_WEBHOOK_WORDING = {
  holder: 'account',
  free: 'remove it there (delete that channel, or set_webhook with an empty URL)',
};

/** The callbacks we subscribe to ("Setting a Webhook", `event_types`). */
export const VIBER_EVENT_TYPES = [
  'delivered',
  'seen',
  'failed',
  'subscribed',
  'unsubscribed',
  'conversation_started',
] as const;

async function call(
  token: string,
  method: string,
  body: Record<string, unknown>,
  context: ConnectionContext,
): Promise<ConnectionCall<{ body: Record<string, unknown> }>> {
  const answered = await callProvider(
    viberUrl(context.endpoints, method),
    { method: 'POST', headers: viberHeaders(token), body: JSON.stringify(body) },
    { who: VIBER_API, timeoutMs: context.timeoutMs },
  );
  if (!answered.ok) return unanswered(answered.outcome);
  const answer = isSuccess(answered.answer) ? readViberAnswer(answered.answer.body) : null;
  if (answer?.status === 0) return { ok: true, body: answer.body };
  return refused(
    answer
      ? classifyViberStatus(answer.status, answer.statusMessage)
      : classifyHttpStatus(answered.answer, VIBER_API, context.now?.() ?? new Date()),
  );
}

/**
 * Releasing a channel reads the account's webhook (`get_account_info`, "Get Account Info":
 * `webhook`, the URL set for the account) and, only while it is still this channel's callback
 * URL (at any address: `isChannelCallback`), removes it ("Removing your webhook": `set_webhook` with `url: ""`, the auth token in
 * `X-Viber-Auth-Token` as for every call). An account connected since to another channel or
 * service keeps its webhook. Viber answers HTTP 200 either way: `status` 0 is ok, any other
 * is a failure named by `status_message` ("Errors": 2 invalidAuthToken for a token it does not
 * know).
 */
async function releaseViberWebhook(
  channel: ChannelRecord,
  context: ConnectionContext,
): Promise<ReleaseResult> {
  const read = readChannel(viberBotDefinition, channel, {
    allowPrivateUrls: context.allowPrivateUrls,
  });
  if (!read.ok) return { verdict: 'rejected', problem: read.detail };
  if (!context.callback) return { verdict: 'kept', detail: 'no callback URL to release' };
  const token = read.credentials?.authToken ?? '';
  const account = await call(token, 'get_account_info', {}, context);
  return releaseWebhook({
    current: account.ok ? { ok: true, url: account.body.webhook } : account,
    callbackUrl: context.callback.url,
    holder: VIBER_WEBHOOK_WORDING.holder,
    remove: () => call(token, 'set_webhook', { url: '' }, context),
    removed: 'webhook removed',
  });
}

/**
 * Connecting reads the account (`get_account_info`, REST Bot API, "Get Account Info": proves
 * the token, names the bot), then registers our callback URL with `set_webhook` ("Setting a
 * Webhook"). Viber checks the URL at once by posting a signed `webhook` event to it, which is
 * why the API stores a channel before checking it. A webhook Viber refuses leaves the bot
 * able to send, but without delivery reports; the detail says so. So does a webhook that
 * already serves another channel or service, which is left where it is.
 */
export const viberBotConnection: ChannelConnection = {
  async verify(channel, context): Promise<VerifyResult> {
    const read = readChannel(viberBotDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const token = read.credentials?.authToken ?? '';
    const account = await call(token, 'get_account_info', {}, context);
    if (!account.ok) return failedVerdict(account);
    const bot = typeof account.body.name === 'string' ? account.body.name : 'Viber bot';
    if (!context.callback) return { verdict: 'verified', detail: bot };
    const { url } = context.callback;
    // An account has one webhook, which set_webhook replaces: one already serving another
    // channel or service is left there (get_account_info's `webhook`, empty when none is set;
    // webhook-takeover.ts).
    return connectWebhook({
      bot,
      current: { ok: true, url: account.body.webhook },
      callbackUrl: url,
      context,
      wording: VIBER_WEBHOOK_WORDING,
      setWebhook: () =>
        call(
          token,
          'set_webhook',
          { url, event_types: VIBER_EVENT_TYPES, send_name: true, send_photo: false },
          context,
        ),
    });
  },
  release: releaseViberWebhook,
};
