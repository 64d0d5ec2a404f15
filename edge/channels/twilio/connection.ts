import { readChannel } from '../channel-config';
import type { ChannelConnection } from '../connection';
import type { ChannelDefinition } from '../definition';
import { callProvider, isSuccess } from '../http/classify';
import { TWILIO_API, twilioAccountUrl, twilioAuthorization } from './api';
import type { TWILIO_CREDENTIALS, TWILIO_SETTINGS } from './definition';
import { classifyTwilioAnswer } from './failures';

/**
 * Verifying reads the account (`GET /2010-04-01/Accounts/{AccountSid}.json`, Twilio Docs,
 * "Account resource"): it proves the SID and auth token without sending anything.
 */
export function twilioConnection(
  definition: ChannelDefinition<typeof TWILIO_SETTINGS, typeof TWILIO_CREDENTIALS>,
): ChannelConnection {
  return {
    async verify(channel, context) {
      const read = readChannel(definition, channel, { allowPrivateUrls: context.allowPrivateUrls });
      if (!read.ok) return { verdict: 'rejected', problem: read.detail };
      const accountSid = read.credentials?.accountSid ?? '';
      const call = await callProvider(
        twilioAccountUrl(context.endpoints, accountSid),
        {
          method: 'GET',
          headers: {
            authorization: twilioAuthorization(accountSid, read.credentials?.authToken ?? ''),
            accept: 'application/json',
          },
        },
        { who: TWILIO_API, timeoutMs: context.timeoutMs },
      );
      if (!call.ok) {
        const problem = call.outcome.status === 'failed' ? call.outcome.detail : '';
        return { verdict: 'unreachable', problem };
      }
      if (!isSuccess(call.answer)) {
        const outcome = classifyTwilioAnswer(call.answer, context.now?.() ?? new Date());
        if (outcome.status !== 'failed')
          return { verdict: 'rejected', problem: 'unexpected answer' };
        return { verdict: outcome.retryable ? 'unreachable' : 'rejected', problem: outcome.detail };
      }
      let account: { friendly_name?: unknown; status?: unknown } = {};
      try {
        account = JSON.parse(call.answer.body) as typeof account;
      } catch {
        // A 2xx proves the credentials even if the body is odd.
      }
      if (account.status !== undefined && account.status !== 'active') {
        return { verdict: 'rejected', problem: `the Twilio account is ${String(account.status)}` };
      }
      const name = typeof account.friendly_name === 'string' ? account.friendly_name : accountSid;
      return { verdict: 'verified', detail: `Twilio account ${name}` };
    },
  };
}
