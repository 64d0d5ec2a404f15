import { cloudApiAdapter } from '../whatsapp-meta/adapter';
import { DIALOG360_API, dialog360Headers, dialog360Url } from './api';
import { whatsapp360dialogDefinition } from './definition';

/**
 * Sends through 360dialog: the Cloud API message body (edge/channels/whatsapp-meta) to
 * `<DIALOG360_API_URL>/messages` with `D360-API-KEY` (360dialog docs, "Sending Messages"; the
 * API key stands for the number, so no phone number id is in the path).
 *
 * To a phone as `to`, or to a business-scoped user ID as the Cloud API's `recipient`, as through
 * Meta: 360dialog serves the Cloud API ("All Cloud API actions are available", "you can also use
 * Meta documentation as a reference": 360dialog docs, "Messaging API") and documents WhatsApp
 * usernames and BSUIDs on it ("Usernames & BSUID": the BSUID "is assigned to the `user_id`
 * parameter"; "BSUIDs and BSUID-sending are already live": "[alpha] Usernames", "Validation
 * guide"). The body's field name, `recipient`, is Meta's ("Business-scoped user IDs").
 */
export const whatsapp360dialogAdapter = cloudApiAdapter({
  definition: whatsapp360dialogDefinition,
  who: DIALOG360_API,
  request: (_settings, credentials, endpoints) => ({
    url: dialog360Url(endpoints, 'messages'),
    headers: dialog360Headers(credentials?.apiKey ?? ''),
  }),
  businessScopedIds: true,
});
