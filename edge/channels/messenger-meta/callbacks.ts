import { messagingCallbacks } from '../meta/messaging-webhooks';

/** Messenger webhooks: `object: "page"`, entries about the channel's Page. */
export const messengerMetaCallbacks = messagingCallbacks({
  object: 'page',
  accountSetting: 'pageId',
});
