import { providerBaseUrl } from '../http/provider-url';
import type { ProviderEndpoints } from '../types';

/**
 * Where Google's APIs live. The Gmail API is served from `https://gmail.googleapis.com`
 * (Gmail API reference, REST Resource: v1, "Service endpoint") and access tokens come from
 * `https://oauth2.googleapis.com/token` (Using OAuth 2.0 for Web Server Applications,
 * "Refreshing an access token (offline access)"). The Worker's env may point `GMAIL_API_URL`
 * and `GOOGLE_OAUTH_API_URL` at stand-ins (edge/host/provider-endpoints.ts).
 */

/** The real Gmail API host. */
export const DEFAULT_GMAIL_API_URL = 'https://gmail.googleapis.com';
/** The real Google OAuth 2.0 host. */
export const DEFAULT_GOOGLE_OAUTH_API_URL = 'https://oauth2.googleapis.com';

/** Env names of the Google endpoint settings. */
export const GMAIL_API_URL = 'GMAIL_API_URL';
export const GOOGLE_OAUTH_API_URL = 'GOOGLE_OAUTH_API_URL';

/** The URL of a Gmail API method under `users/me/` (`messages/send`, `profile`). */
export function gmailUrl(endpoints: ProviderEndpoints | undefined, path: string): string {
  return `${providerBaseUrl(endpoints, GMAIL_API_URL, DEFAULT_GMAIL_API_URL)}/gmail/v1/users/me/${path}`;
}

/**
 * The /upload URI of a Gmail API method that takes media (`messages/send`): the method's URI
 * with an "/upload" prefix ("Uploading Attachments", "Upload options").
 */
export function gmailUploadUrl(endpoints: ProviderEndpoints | undefined, path: string): string {
  return `${providerBaseUrl(endpoints, GMAIL_API_URL, DEFAULT_GMAIL_API_URL)}/upload/gmail/v1/users/me/${path}`;
}

/** Google's OAuth 2.0 token endpoint. */
export function googleTokenUrl(endpoints: ProviderEndpoints | undefined): string {
  return `${providerBaseUrl(endpoints, GOOGLE_OAUTH_API_URL, DEFAULT_GOOGLE_OAUTH_API_URL)}/token`;
}
