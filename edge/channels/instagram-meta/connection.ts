import { readChannel } from '../channel-config';
import type { ChannelConnection } from '../connection';
import { verifyPageToken } from '../messenger-meta/connection';
import { SEND_API_FAILURES } from '../meta/send-api-failures';
import { verifyGraphObject } from '../meta/verify-object';
import { INSTAGRAM_API } from './adapter';
import { instagramMetaDefinition } from './definition';

/**
 * Verifying reads the Instagram account with the Page's token (`GET /<instagram-account-id>
 * ?fields=username`, Instagram Graph API, "IG User"): a token whose Page is not linked to the
 * account cannot see it; then `GET /me` must be the linked Page (verifyPageToken).
 */
export const instagramMetaConnection: ChannelConnection = {
  async verify(channel, context) {
    const read = readChannel(instagramMetaDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    const accessToken = read.credentials?.pageAccessToken ?? '';
    const account = await verifyGraphObject(
      {
        objectId: read.settings.instagramAccountId,
        accessToken,
        fields: ['username'],
      },
      context,
      { table: SEND_API_FAILURES, who: INSTAGRAM_API },
      (account) =>
        typeof account.username === 'string'
          ? `@${account.username}`
          : `Instagram account ${read.settings.instagramAccountId}`,
    );
    if (account.verdict !== 'verified') return account;
    // Sends go through the linked Page's Send API with its token: the token must be that
    // Page's own, as for Messenger (a user token may read the account too).
    const pageId = read.settings.pageId;
    return (await verifyPageToken({ pageId, accessToken }, context, INSTAGRAM_API)) ?? account;
  },
};
