import { cloudApiAdapter } from '../whatsapp-meta/adapter';
import { DIALOG360_API, dialog360Headers, dialog360Url } from './api';
import { whatsapp360dialogDefinition } from './definition';

/**
 * Sends through 360dialog: the Cloud API message body (edge/channels/whatsapp-meta) to
 * `<DIALOG360_API_URL>/messages` with `D360-API-KEY` (360dialog docs, "Sending Messages"; the
 * API key stands for the number, so no phone number id is in the path).
 */
export const whatsapp360dialogAdapter = cloudApiAdapter({
  definition: whatsapp360dialogDefinition,
  who: DIALOG360_API,
  request: (_settings, credentials, endpoints) => ({
    url: dialog360Url(endpoints, 'messages'),
    headers: dialog360Headers(credentials?.apiKey ?? ''),
  }),
});
