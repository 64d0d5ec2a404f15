import type { ChannelTemplate } from '../../workflow/channel-templates';
import { CALLBACK_PATH } from './callbacks';
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
   * `set_webhook`, LINE `PUT /v2/bot/channel/webhook/endpoint`). The channel is stored before the check runs: Viber calls the URL at once.
   * `release` compares it with the URL the provider's webhook points at now
   * (`isChannelCallback`).
   */
  callback?: { url: string; token: string | null };
  /**
   * Whether a provider's webhook URL is the callback URL of a channel of this deployment that
   * no longer exists (deleted while its provider could not be told): such a webhook serves no
   * one, and connecting may take it over. Absent, no webhook of another channel is taken over.
   */
  isDeletedChannelCallback?(webhookUrl: string): Promise<boolean>;
}

/**
 * A check's result: `verified` (with what the provider said about the account), `rejected`
 * (the credentials or ids are wrong: the channel is in error), or `unreachable` (the provider
 * could not be asked: nothing is concluded).
 */
export type VerifyResult =
  | { verdict: 'verified'; detail: string }
  | { verdict: 'rejected' | 'unreachable'; problem: string };

/**
 * The templates, or why they could not be listed. `truncated` says the account has more than
 * MAX_LISTED_TEMPLATES and only the first ones were read.
 */
export type TemplatesResult =
  | { ok: true; templates: ChannelTemplate[]; truncated?: boolean }
  | { ok: false; problem: string };

/**
 * The most templates a listing reads, over as many pages as it takes: an account's count is
 * bounded by its provider (Meta counts template names, each in any number of languages, and
 * lists each language as one template), and one save should not make hundreds of calls. A
 * listing that stops here says so (`truncated`), and the channel's statusDetail with it.
 */
export const MAX_LISTED_TEMPLATES = 5_000;

/** What statusDetail adds when a listing stopped with `count` templates read and more left. */
export function templatesTruncatedDetail(count: number): string {
  return `only the first ${count.toLocaleString('en-US')} templates were listed (the account has more): steps naming any other are refused TEMPLATE_NOT_FOUND`;
}

/**
 * What releasing a channel's webhook came to: `released` (the provider no longer calls us for
 * this account), `kept` (the account's webhook does not point at this channel, or there is
 * none: nothing to undo, so nothing was changed), or `rejected` / `unreachable` (the provider
 * refused the credentials or could not be asked: the webhook may still point at us).
 */
export type ReleaseResult =
  | { verdict: 'released' | 'kept'; detail: string }
  | { verdict: 'rejected' | 'unreachable'; problem: string };

export interface ChannelConnection {
  verify(channel: ChannelRecord, context: ConnectionContext): Promise<VerifyResult>;
  listTemplates?(channel: ChannelRecord, context: ConnectionContext): Promise<TemplatesResult>;
  /**
   * Undoes the webhook `verify` registered through the provider's API (Telegram
   * `deleteWebhook`, Viber `set_webhook` with an empty URL), for a channel being deleted or an
   * account its credentials no longer name. `context.callback` is the channel's callback URL:
   * the webhook is removed only while the provider still points it there, so an account that
   * has since been connected to another channel (or elsewhere) keeps its webhook. Never throws
   * for provider trouble. Integrations whose webhook is set in the provider's console, or whose
   * API cannot remove it (LINE), have none.
   */
  release?(channel: ChannelRecord, context: ConnectionContext): Promise<ReleaseResult>;
}

/** The URL's path, or null when it is not a URL. */
function pathOf(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/**
 * Whether a provider's webhook URL (Telegram's `getWebhookInfo.url`, Viber's account
 * `webhook`) is this channel's callback URL, at whatever address it was registered. Without
 * PUBLIC_URL the callback URL takes the origin the API was called on, so a channel connected
 * through one address (a tunnel since replaced, a workers.dev host beside a custom domain) and
 * released through another would otherwise be taken for another service's and keep its
 * webhook. The path's end, `/callbacks/<provider>/<channel id>`, names the channel whatever the
 * origin (or PUBLIC_URL's path prefix): channel ids are random UUIDs.
 */
export function isChannelCallback(webhookUrl: unknown, callbackUrl: string): boolean {
  if (typeof webhookUrl !== 'string' || webhookUrl === '') return false;
  if (webhookUrl === callbackUrl) return true;
  const ours = pathOf(callbackUrl);
  const theirs = pathOf(webhookUrl);
  const at = ours?.lastIndexOf(`${CALLBACK_PATH}/`) ?? -1;
  if (!ours || !theirs || at < 0) return false;
  const channelPath = ours.slice(at);
  return theirs.endsWith(channelPath);
}

/**
 * The channel id a provider's webhook URL names when it is a callback URL of this deployment
 * for the same provider as `callbackUrl` (same origin, `/callbacks/<provider>/<uuid>`), else
 * null: a URL at another origin may be another deployment's, whose channels are not ours.
 */
export function sameDeploymentChannelId(webhookUrl: string, callbackUrl: string): string | null {
  let ours: URL;
  let theirs: URL;
  try {
    ours = new URL(callbackUrl);
    theirs = new URL(webhookUrl);
  } catch {
    return null;
  }
  if (ours.origin !== theirs.origin) return null;
  const route = ours.pathname.slice(0, ours.pathname.lastIndexOf('/') + 1);
  if (!route.includes(`${CALLBACK_PATH}/`) || !theirs.pathname.startsWith(route)) return null;
  const id = theirs.pathname.slice(route.length);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : null;
}

/**
 * Who a provider's webhook URL that is not this channel's callback serves, for a detail: another
 * channel of Sendflow (its callback path `/callbacks/<provider>/<channel id>`, the channel
 * named by its id), or another address (only its origin: a path may carry another service's
 * secret).
 */
export function otherWebhookOwner(webhookUrl: string, callbackUrl: string): string {
  const ours = pathOf(callbackUrl);
  let theirs: URL;
  try {
    theirs = new URL(webhookUrl);
  } catch {
    return 'another address';
  }
  const at = ours?.lastIndexOf(`${CALLBACK_PATH}/`) ?? -1;
  if (ours && at >= 0) {
    // `/callbacks/<provider>/`: the same provider's callback route, another channel id.
    const route = ours.slice(at, ours.lastIndexOf('/') + 1);
    const index = theirs.pathname.lastIndexOf(route);
    const id = index >= 0 ? theirs.pathname.slice(index + route.length) : '';
    if (/^[0-9a-f-]{36}$/i.test(id)) return `another Sendflow channel (${id}, at ${theirs.origin})`;
  }
  return `another address (${theirs.origin})`;
}
