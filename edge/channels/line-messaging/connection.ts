import { readChannel } from '../channel-config';
import type { ChannelConnection, ConnectionContext, VerifyResult } from '../connection';
import { callProvider, isSuccess } from '../http/classify';
import { lineMessagingDefinition } from './definition';
import { classifyLineAnswer } from './failures';
import { LINE_API, lineHeaders, lineUrl } from './messaging-api';

type Called = { ok: true; body: string } | { ok: false; transient: boolean; problem: string };

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
  if (!answered.ok) {
    const detail = answered.outcome.status === 'failed' ? answered.outcome.detail : '';
    return { ok: false, transient: true, problem: detail };
  }
  if (isSuccess(answered.answer)) return { ok: true, body: answered.answer.body };
  const outcome = classifyLineAnswer(answered.answer, context.now?.() ?? new Date());
  return outcome.status === 'failed'
    ? { ok: false, transient: outcome.retryable, problem: outcome.detail }
    : { ok: false, transient: false, problem: 'unexpected answer' };
}

/**
 * Connecting reads the bot's info (`GET /v2/bot/info`, Messaging API reference, "Get bot
 * info": proves the channel access token, names the account), then sets the channel's
 * webhook URL to our callback URL (`PUT /v2/bot/channel/webhook/endpoint`, "Set webhook
 * endpoint URL"; HTTPS only). "Use webhook" must still be switched on in the console. A
 * webhook LINE refuses leaves the channel able to send, and the detail says so.
 *
 * There is no `release`: the Messaging API can set the webhook URL but not remove it ("Set
 * webhook endpoint URL" takes a valid HTTPS URL only) nor switch "Use webhook" off, which is
 * a console setting ("Stop using the Messaging API"). A deleted LINE channel's webhook keeps
 * pointing at us until the owner changes it in the console; unlike Telegram's, it blocks
 * nothing meanwhile (the owner can set another URL at any time).
 */
export const lineMessagingConnection: ChannelConnection = {
  async verify(channel, context): Promise<VerifyResult> {
    const read = readChannel(lineMessagingDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const token = read.credentials?.channelAccessToken ?? '';
    const info = await call(token, 'GET', '/v2/bot/info', undefined, context);
    if (!info.ok) {
      return { verdict: info.transient ? 'unreachable' : 'rejected', problem: info.problem };
    }
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
    const webhook = await call(
      token,
      'PUT',
      '/v2/bot/channel/webhook/endpoint',
      { endpoint: context.callback.url },
      context,
    );
    return webhook.ok
      ? { verdict: 'verified', detail: `${bot}, webhook set` }
      : { verdict: 'verified', detail: `${bot}; the webhook was not set: ${webhook.problem}` };
  },
};
