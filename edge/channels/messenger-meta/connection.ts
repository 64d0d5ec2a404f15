import { readChannel } from '../channel-config';
import type { ChannelConnection } from '../connection';
import { SEND_API_FAILURES } from '../meta/send-api-failures';
import { verifyGraphObject } from '../meta/verify-object';
import { MESSENGER_API } from './adapter';
import { messengerMetaDefinition } from './definition';

/**
 * Verifying reads the Page with its token (`GET /<page-id>?fields=name`, Graph API reference,
 * "Page"): a token of another Page, or an expired one, is refused.
 */
export const messengerMetaConnection: ChannelConnection = {
  async verify(channel, context) {
    const read = readChannel(messengerMetaDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    return verifyGraphObject(
      {
        objectId: read.settings.pageId,
        accessToken: read.credentials?.pageAccessToken ?? '',
        fields: ['name'],
      },
      context,
      { table: SEND_API_FAILURES, who: MESSENGER_API },
      (page) => `Page ${typeof page.name === 'string' ? page.name : read.settings.pageId}`,
    );
  },
};
