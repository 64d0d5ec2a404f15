import { type ConnectionContext, isChannelCallback, otherWebhookOwner } from './connection';

/**
 * Whether connecting a channel may point a provider account's one webhook at it (Telegram's
 * bot, Viber's account, LINE's Messaging API channel). Setting the webhook replaces whatever
 * URL it had, so an account already serving another channel, or another service, would
 * silently stop delivering there. Its current URL is read first and replaced only when it is
 * unset, this channel's own (at any address: `isChannelCallback`), or the callback URL of a
 * channel of this deployment that was deleted while its provider could not be told (such a
 * webhook serves no one: `context.isDeletedChannelCallback`).
 */

/** How a provider's account is named in the detail, and how its owner frees its webhook. */
export interface WebhookWording {
  /** What has the one webhook: "bot", "account". */
  holder: string;
  /**
   * What frees it, a clause the detail ends with before "then verify this channel", e.g.
   * "remove it there (delete that channel, or call deleteWebhook)".
   */
  free: string;
}

/**
 * Why the account's current webhook (`current`, as the provider reported it: a URL, empty or
 * absent when none is set) stays where it is, or null when connecting may set it to
 * `callbackUrl`. The reason names who the webhook serves (`otherWebhookOwner`: another
 * Sendflow channel by its id, or only the origin of another address, whose path may carry
 * that service's secret) and what frees it.
 */
export async function webhookKeptElsewhere(
  current: unknown,
  callbackUrl: string,
  context: Pick<ConnectionContext, 'isDeletedChannelCallback'>,
  wording: WebhookWording,
): Promise<string | null> {
  if (typeof current !== 'string' || current === '') return null;
  if (isChannelCallback(current, callbackUrl)) return null;
  if (await context.isDeletedChannelCallback?.(current)) return null;
  const { holder, free } = wording;
  const article = /^[aeiou]/i.test(holder) ? 'an' : 'a';
  return `the ${holder}'s webhook points at ${otherWebhookOwner(current, callbackUrl)}, and ${article} ${holder} has one webhook, so moving it would take its messages from there; ${free}, then verify this channel`;
}
