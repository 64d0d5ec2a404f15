import { sendApiAdapter } from '../meta/send-api-adapter';
import { instagramMetaDefinition } from './definition';

/** Who answers, in failure details. */
export const INSTAGRAM_API = 'Instagram Messaging (Send API)';

/**
 * Sends as the Instagram account through the Send API: text and images by URL. Instagram's
 * examples send no `messaging_type`, and it has no tagged messages here.
 *
 * The endpoint: Messenger Platform, Instagram, "Send a Message" names `/PAGE-ID/messages` in
 * its text but calls `/me/messages` (with the linked Page's token) in every example; we keep
 * the examples' `me/messages`, which Graph resolves to that same Page.
 */
export const instagramMetaAdapter = sendApiAdapter(instagramMetaDefinition, {
  who: INSTAGRAM_API,
  path: 'me',
  label: 'Instagram',
  attachmentTypes: ['image'],
  messagingType: false,
  tags: false,
  // "Send a Message": "Message text must be UTF-8 and be a 1000 bytes or less".
  maxText: { count: 1000, unit: 'bytes' },
});
