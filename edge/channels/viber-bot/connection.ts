import { readChannel } from '../channel-config';
import {
  type ChannelConnection,
  type ConnectionContext,
  isChannelCallback,
  type ReleaseResult,
  type VerifyResult,
} from '../connection';
import { callProvider, classifyHttpStatus, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { webhookKeptElsewhere } from '../webhook-takeover';
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

type Called =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; transient: boolean; problem: string };

async function call(
  token: string,
  method: string,
  body: Record<string, unknown>,
  context: ConnectionContext,
): Promise<Called> {
  const answered = await callProvider(
    viberUrl(context.endpoints, method),
    { method: 'POST', headers: viberHeaders(token), body: JSON.stringify(body) },
    { who: VIBER_API, timeoutMs: context.timeoutMs },
  );
  if (!answered.ok) {
    const detail = answered.outcome.status === 'failed' ? answered.outcome.detail : '';
    return { ok: false, transient: true, problem: detail };
  }
  const answer = isSuccess(answered.answer) ? readViberAnswer(answered.answer.body) : null;
  if (answer?.status === 0) return { ok: true, body: answer.body };
  const outcome = answer
    ? classifyViberStatus(answer.status, answer.statusMessage)
    : classifyHttpStatus(answered.answer, VIBER_API, context.now?.() ?? new Date());
  return outcome.status === 'failed'
    ? { ok: false, transient: outcome.retryable, problem: outcome.detail }
    : { ok: false, transient: false, problem: 'unexpected answer' };
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
  if (!account.ok) {
    return { verdict: account.transient ? 'unreachable' : 'rejected', problem: account.problem };
  }
  const url = account.body.webhook;
  if (!isChannelCallback(url, context.callback.url)) {
    return {
      verdict: 'kept',
      detail: url ? "the account's webhook is not this channel's" : 'the account has no webhook',
    };
  }
  const removed = await call(token, 'set_webhook', { url: '' }, context);
  if (!removed.ok) {
    return { verdict: removed.transient ? 'unreachable' : 'rejected', problem: removed.problem };
  }
  return { verdict: 'released', detail: 'webhook removed' };
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
    if (!account.ok) {
      return { verdict: account.transient ? 'unreachable' : 'rejected', problem: account.problem };
    }
    const bot = typeof account.body.name === 'string' ? account.body.name : 'Viber bot';
    if (!context.callback) return { verdict: 'verified', detail: bot };
    // An account has one webhook, which set_webhook replaces: one already serving another
    // channel or service is left there (get_account_info's `webhook`, empty when none is set;
    // webhook-takeover.ts).
    const kept = await webhookKeptElsewhere(
      account.body.webhook,
      context.callback.url,
      context,
      VIBER_WEBHOOK_WORDING,
    );
    if (kept) return { verdict: 'verified', detail: `${bot}; the webhook was not set: ${kept}` };
    const webhook = await call(
      token,
      'set_webhook',
      {
        url: context.callback.url,
        event_types: VIBER_EVENT_TYPES,
        send_name: true,
        send_photo: false,
      },
      context,
    );
    return webhook.ok
      ? { verdict: 'verified', detail: `${bot}, webhook set` }
      : { verdict: 'verified', detail: `${bot}; the webhook was not set: ${webhook.problem}` };
  },
  release: releaseViberWebhook,
};
