import { readChannel } from '../channel-config';
import type { ChannelConnection, ConnectionContext, VerifyResult } from '../connection';
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
  const me = await verifyGraphObject(
    { objectId: 'me', accessToken: request.accessToken, fields: ['id'] },
    context,
    { table: SEND_API_FAILURES, who },
    (owner) => (typeof owner.id === 'string' ? owner.id : ''),
  );
  if (me.verdict === 'unreachable') return me;
  if (me.verdict !== 'verified') {
    return {
      verdict: 'rejected',
      problem: `the access token is not a Page access token (Graph /me: ${me.problem}); give the Page's own access token`,
    };
  }
  if (me.detail === request.pageId) return null;
  return {
    verdict: 'rejected',
    problem: me.detail
      ? `the access token is not Page ${request.pageId}'s: it belongs to ${me.detail} (a user, a system user or another Page); give the Page's own access token`
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
