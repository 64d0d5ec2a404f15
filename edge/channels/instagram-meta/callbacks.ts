import { messagingCallbacks } from '../meta/messaging-webhooks';

/**
 * Instagram messaging webhooks: `object: "instagram"`, entries about the channel's Instagram
 * account (`entry[].id`), senders named by IGSID (Messenger Platform, Instagram, "Webhooks").
 */
export const instagramMetaCallbacks = messagingCallbacks({
  object: 'instagram',
  accountSetting: 'instagramAccountId',
});
