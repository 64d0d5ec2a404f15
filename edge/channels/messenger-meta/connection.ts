import { readChannel } from '../channel-config';
import type { ChannelConnection, ConnectionContext, VerifyResult } from '../connection';
import { callProvider, isSuccess } from '../http/classify';
import { graphHeaders, graphUrl } from '../meta/graph';
import { classifyGraphAnswer } from '../meta/graph-errors';
import { SEND_API_FAILURES } from '../meta/send-api-failures';
import { verifyGraphObject } from '../meta/verify-object';
import { MESSENGER_API } from './adapter';
import { messengerMetaDefinition } from './definition';

/**
 * Whether `accessToken` is the access token of Page `pageId`. Reading a Page's `name` does not
 * prove it: a Page's public fields can be read with other tokens (a user's, another Page's, an
 * app's), which then cannot send as the Page, or send as another one. Graph's `/me` node
 * "translates to the object ID of the person or Page whose access token is currently being
 * used" (Graph API, Overview, "/me"), so `GET /me?fields=id` with a Page access token answers
 * that Page's id: any other id (a user, a system user, another Page) is refused, as is an
 * error the token's owner would repeat (an app token cannot ask for /me: OAuthException 2500).
 *
 */
export async function verifyPageToken(
  request: { pageId: string; accessToken: string },
  context: ConnectionContext,
  who: string,
): Promise<VerifyResult | null> {
  const call = await callProvider(
    `${graphUrl(context.endpoints, 'me')}?${new URLSearchParams({ fields: 'id' })}`,
    { method: 'GET', headers: graphHeaders(request.accessToken) },
    { who, timeoutMs: context.timeoutMs },
  );
  if (!call.ok) {
    return {
      verdict: 'unreachable',
      problem: call.outcome.status === 'failed' ? call.outcome.detail : '',
    };
  }
  if (!isSuccess(call.answer)) {
    const outcome = classifyGraphAnswer(
      call.answer,
      SEND_API_FAILURES,
      who,
      context.now?.() ?? new Date(),
    );
    if (outcome.status === 'failed' && outcome.retryable) {
      return { verdict: 'unreachable', problem: outcome.detail };
    }
    const detail = outcome.status === 'failed' ? outcome.detail : 'unexpected answer';
    return {
      verdict: 'rejected',
      problem: `the access token is not a Page access token (Graph /me: ${detail}); give the Page's own access token`,
    };
  }
  let id: unknown;
  try {
    id = (JSON.parse(call.answer.body) as { id?: unknown }).id;
  } catch {
    // Read below as no id.
  }
  if (typeof id === 'string' && id === request.pageId) return null;
  return {
    verdict: 'rejected',
    problem:
      typeof id === 'string'
        ? `the access token is not Page ${request.pageId}'s: it belongs to ${id} (a user, a system user or another Page); give the Page's own access token`
        : `the access token's owner could not be read (Graph /me answered no id); give Page ${request.pageId}'s own access token`,
  };
}

/**
 * Verifying reads the Page with its token (`GET /<page-id>?fields=name`, Graph API reference,
 * "Page": a token that cannot see the Page, or an expired one, is refused) and then proves the
 * token is that Page's own (verifyPageToken: `GET /me` answers the Page's id).
 */
export const messengerMetaConnection: ChannelConnection = {
  async verify(channel, context) {
    const read = readChannel(messengerMetaDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const pageId = read.settings.pageId;
    const accessToken = read.credentials?.pageAccessToken ?? '';
    const page = await verifyGraphObject(
      { objectId: pageId, accessToken, fields: ['name'] },
      context,
      { table: SEND_API_FAILURES, who: MESSENGER_API },
      (object) => `Page ${typeof object.name === 'string' ? object.name : pageId}`,
    );
    if (page.verdict !== 'verified') return page;
    return (await verifyPageToken({ pageId, accessToken }, context, MESSENGER_API)) ?? page;
  },
};
