import { sendApiAdapter } from '../meta/send-api-adapter';
import { messengerMetaDefinition } from './definition';

/** Who answers, in failure details. */
export const MESSENGER_API = 'Messenger Send API';

/**
 * Sends as the Page through the Send API (`POST /<page-id>/messages`, Messenger Platform, Send
 * API reference, "Sample Request"): text, attachments by URL (image, video, audio, file), and
 * tagged messages (`MESSAGE_TAG` with the step's tag) outside the 24-hour window.
 */
export const messengerMetaAdapter = sendApiAdapter(messengerMetaDefinition, {
  who: MESSENGER_API,
  path: 'page',
  label: 'Messenger',
  attachmentTypes: ['image', 'video', 'audio', 'file'],
  messagingType: true,
  tags: true,
  // Send API reference, `message.text`: "must be UTF-8 and has a 2000 character limit".
  maxText: { count: 2000, unit: 'characters' },
});
