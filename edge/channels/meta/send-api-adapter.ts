import { readChannel } from '../channel-config';
import type { ChannelDefinition, Field, Fields } from '../definition';
import { callProvider, isSuccess } from '../http/classify';
import { parseObject, text } from '../json-fields';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  permanentFailure,
  type SendOutcome,
} from '../types';
import { graphHeaders, graphUrl } from './graph';
import { classifyGraphAnswer } from './graph-errors';
import { type SendApiRules, sendApiBodies } from './send-api-body';
import { SEND_API_FAILURES } from './send-api-failures';

/** PSIDs and IGSIDs are numeric strings (Messenger Platform, "Page-scoped ID"). */
const SCOPED_ID = /^\d{1,32}$/;

/** An integration that sends through the Send API as a Page, with that Page's access token. */
type SendApiDefinition = ChannelDefinition<
  { pageId: Field<string> } & Fields,
  { pageAccessToken: Field<string | null> } & Fields
>;

/**
 * Where a Send API call goes: `page` is `<page-id>/messages`, the endpoint the Send API
 * reference names ("To send a message to a person, send a POST request to the /PAGE-ID/messages
 * endpoint", and its example `POST /v25.0/{PAGE_ID}/messages`); `me` is Graph's alias for the
 * Page the token belongs to, which the Instagram "Send a Message" examples call.
 */
export type SendApiPath = 'page' | 'me';

/**
 * A Send API adapter (Messenger, Instagram): `POST <GRAPH_API_URL>/<version>/<page-id>/messages`
 * (or `me/messages`, see SendApiPath) with the channel's Page access token. Answers are
 * classified by the Send API failure table, then by the shared HTTP rules.
 *
 * The Send API takes no idempotency key, so the adapter never repeats a call itself; a media
 * caption goes as a second message only after the attachment was accepted, and the send counts
 * as sent once the attachment is (a failed caption is reported in the detail, never retried:
 * a retry would send the attachment twice).
 */
export function sendApiAdapter(
  definition: SendApiDefinition,
  rules: SendApiRules & { who: string; path: SendApiPath },
): ChannelAdapter {
  return {
    async send(message, options): Promise<SendOutcome> {
      const read = readChannel(definition, message.channel, options);
      if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
      if (!SCOPED_ID.test(message.recipient)) {
        return permanentFailure(
          'no_associated_channel',
          `the contact has no ${rules.label} id (they must write to the channel first)`,
        );
      }
      const built = sendApiBodies(message.rendered, message.recipient, rules);
      if (!built.ok) return permanentFailure('content_invalid', built.detail);
      const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
      const now = () => options.now?.() ?? new Date();
      const url = graphUrl(
        options.endpoints,
        `${rules.path === 'page' ? read.settings.pageId : 'me'}/messages`,
      );

      let sent: { status: 'sent'; providerMessageId: string; providerDetail?: string } | null =
        null;
      for (const body of built.bodies) {
        const call = await callProvider(
          url,
          {
            method: 'POST',
            headers: graphHeaders(read.credentials?.pageAccessToken ?? ''),
            body: JSON.stringify(body),
          },
          { who: rules.who, timeoutMs, sends: true },
        );
        const outcome: SendOutcome = !call.ok
          ? call.outcome
          : isSuccess(call.answer)
            ? {
                status: 'sent',
                providerMessageId:
                  text(parseObject(call.answer.body)?.message_id) ?? message.deliveryId,
              }
            : classifyGraphAnswer(call.answer, SEND_API_FAILURES, rules.who, now());
        if (!sent) {
          if (outcome.status !== 'sent') return outcome;
          sent = outcome;
        } else if (outcome.status === 'failed') {
          return { ...sent, providerDetail: `the caption was not sent: ${outcome.detail}` };
        }
      }
      return sent ?? permanentFailure('content_invalid', 'nothing to send');
    },
  };
}
