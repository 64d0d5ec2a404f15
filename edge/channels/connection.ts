import type { ChannelTemplate } from '../../workflow/channel-templates';
import type { ChannelRecord, ProviderEndpoints } from './types';

/**
 * What connecting a channel can check with its provider, beyond parsing its settings: a cheap
 * call proving the credentials work, and the provider account's message templates (WhatsApp).
 * The API runs these when a channel is saved or verified; both use plain fetch.
 */

/** Where and how long connection checks may call. */
export interface ConnectionContext {
  endpoints?: ProviderEndpoints;
  allowPrivateUrls: boolean;
  timeoutMs: number;
  now?: () => Date;
  /**
   * The channel's callback URL and token, for providers whose webhook is registered through
   * their API when connecting (Telegram `setWebhook` with the token as `secret_token`, Viber
   * `set_webhook`). The channel is stored before the check runs: Viber calls the URL at once.
   */
  callback?: { url: string; token: string | null };
}

/**
 * A check's result: `verified` (with what the provider said about the account), `rejected`
 * (the credentials or ids are wrong: the channel is in error), or `unreachable` (the provider
 * could not be asked: nothing is concluded).
 */
export type VerifyResult =
  | { verdict: 'verified'; detail: string }
  | { verdict: 'rejected' | 'unreachable'; problem: string };

/** The templates, or why they could not be listed. */
export type TemplatesResult =
  | { ok: true; templates: ChannelTemplate[] }
  | { ok: false; problem: string };

export interface ChannelConnection {
  verify(channel: ChannelRecord, context: ConnectionContext): Promise<VerifyResult>;
  listTemplates?(channel: ChannelRecord, context: ConnectionContext): Promise<TemplatesResult>;
}
