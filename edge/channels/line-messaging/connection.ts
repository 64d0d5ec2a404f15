import { readChannel } from '../channel-config';
import type { ChannelConnection, ConnectionContext, VerifyResult } from '../connection';
import {
  type CallFailure,
  type ConnectionCall,
  failedVerdict,
  refused,
  unanswered,
} from '../connection-call';
import { callProvider, isSuccess } from '../http/classify';
import { connectWebhook, type WebhookRead } from '../webhook-takeover';
import { lineMessagingDefinition } from './definition';
import { classifyLineAnswer } from './failures';
import { LINE_API, lineHeaders, lineUrl } from './messaging-api';

/** A call's answer body, or why it failed, with the HTTP status when LINE answered one. */
type Called = ConnectionCall<{ body: string }> | (CallFailure & { status: number });

async function call(
  token: string,
  method: 'GET' | 'PUT',
  path: string,
  body: Record<string, unknown> | undefined,
  context: ConnectionContext,
): Promise<Called> {
  const answered = await callProvider(
    lineUrl(context.endpoints, path),
    { method, headers: lineHeaders(token), ...(body ? { body: JSON.stringify(body) } : {}) },
    { who: LINE_API, timeoutMs: context.timeoutMs },
  );
  if (!answered.ok) return unanswered(answered.outcome);
  if (isSuccess(answered.answer)) return { ok: true, body: answered.answer.body };
  const outcome = classifyLineAnswer(answered.answer, context.now?.() ?? new Date());
  return { ...refused(outcome), status: answered.answer.status };
}

/** How a detail names an account whose webhook serves elsewhere, and how its owner frees it. */
const LINE_WEBHOOK_WORDING = {
  holder: 'account',
  // The API cannot remove a webhook URL ("Set webhook endpoint URL" takes a valid HTTPS URL
  // only), and switching "Use webhook" off in the console leaves the URL in place: the owner
  // frees the account by deleting that channel of ours, or by entering this channel's URL.
  free: "delete that channel, or enter this channel's callback URL as the webhook URL in the LINE Developers Console",
};

const WEBHOOK_ENDPOINT = '/v2/bot/channel/webhook/endpoint';

/**
 * The channel's webhook URL now ("Get webhook endpoint information": 200 `{ endpoint,
 * active }`; 404 "Webhook endpoint not found" when the channel has none, which is not a
 * failure here). `active` ("Use webhook") is not read: a URL set with webhooks switched off is
 * still where its owner chose to receive them, and only the console switches them on again.
 */
async function currentWebhook(token: string, context: ConnectionContext): Promise<WebhookRead> {
  const answer = await call(token, 'GET', WEBHOOK_ENDPOINT, undefined, context);
  if (!answer.ok) {
    return 'status' in answer && answer.status === 404 ? { ok: true, url: '' } : answer;
  }
  try {
    const parsed = JSON.parse(answer.body) as { endpoint?: unknown } | null;
    return { ok: true, url: parsed?.endpoint };
  } catch {
    // Without the URL it cannot be told whose the webhook is: it is not replaced.
    return { ok: false, transient: false, problem: `${LINE_API} answered an unreadable body` };
  }
}

/**
 * Connecting reads the bot's info (`GET /v2/bot/info`, Messaging API reference, "Get bot
 * info": proves the channel access token, names the account), then reads the channel's
 * webhook URL (`GET /v2/bot/channel/webhook/endpoint`, "Get webhook endpoint information")
 * and, when it is unset, already this channel's, or left by a deleted channel of this
 * deployment, sets it to our callback URL (`PUT /v2/bot/channel/webhook/endpoint`, "Set
 * webhook endpoint URL"; HTTPS only). "Use webhook" must still be switched on in the console.
 * A webhook LINE refuses leaves the channel able to send, and the detail says so; so does a
 * webhook that serves another channel or service, which is left where it is: a LINE channel
 * has one webhook URL, and setting it takes every event from wherever it pointed.
 *
 * There is no `release`: the Messaging API can set the webhook URL but not remove it ("Set
 * webhook endpoint URL" takes a valid HTTPS URL only) nor switch "Use webhook" off, which is
 * a console setting ("Stop using the Messaging API"). A deleted LINE channel's webhook keeps
 * pointing at us until the owner changes it in the console or another channel of ours
 * connects the account, which takes it over (`context.isDeletedChannelCallback`).
 */
export const lineMessagingConnection: ChannelConnection = {
  async verify(channel, context): Promise<VerifyResult> {
    const read = readChannel(lineMessagingDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const token = read.credentials?.channelAccessToken ?? '';
    const info = await call(token, 'GET', '/v2/bot/info', undefined, context);
    if (!info.ok) return failedVerdict(info);
    let bot = 'LINE Official Account';
    try {
      const parsed = JSON.parse(info.body) as { displayName?: unknown; basicId?: unknown };
      if (typeof parsed.displayName === 'string') {
        bot =
          typeof parsed.basicId === 'string'
            ? `${parsed.displayName} (${parsed.basicId})`
            : parsed.displayName;
      }
    } catch {
      // A 2xx proves the token even with an odd body.
    }
    if (!context.callback) return { verdict: 'verified', detail: bot };
    const { url } = context.callback;
    return connectWebhook({
      bot,
      current: await currentWebhook(token, context),
      callbackUrl: url,
      context,
      wording: LINE_WEBHOOK_WORDING,
      setWebhook: () => call(token, 'PUT', WEBHOOK_ENDPOINT, { endpoint: url }, context),
    });
  },
};
