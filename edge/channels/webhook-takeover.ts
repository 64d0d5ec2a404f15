import {
  type ConnectionContext,
  isChannelCallback,
  otherWebhookOwner,
  type ReleaseResult,
  type VerifyResult,
} from './connection';
import { type ConnectionCall, failedVerdict } from './connection-call';

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

/**
 * The account's webhook URL as its provider reported it (a URL, empty or absent when none is
 * set), or why it could not be read.
 */
export type WebhookRead = ConnectionCall<{ url: unknown }>;

/**
 * Connecting's webhook step, one for Telegram, Viber and LINE once the bot (`bot`, as the
 * verified detail names it) is known: the webhook is set with the provider's call (`setWebhook`)
 * only when `webhookKeptElsewhere` allows it. Every way it ends verifies the channel, which can
 * send either way; the detail says whether the webhook was set, and if not, why.
 */
export async function connectWebhook(options: {
  bot: string;
  current: WebhookRead;
  callbackUrl: string;
  context: Pick<ConnectionContext, 'isDeletedChannelCallback'>;
  wording: WebhookWording;
  setWebhook: () => Promise<ConnectionCall>;
}): Promise<VerifyResult> {
  const { bot, current, callbackUrl, context, wording } = options;
  const notSet = (why: string): VerifyResult => ({
    verdict: 'verified',
    detail: `${bot}; the webhook was not set: ${why}`,
  });
  // Without the current URL it cannot be told whose the webhook is: it is not replaced.
  if (!current.ok) {
    return notSet(`the ${wording.holder}'s current webhook could not be read (${current.problem})`);
  }
  const kept = await webhookKeptElsewhere(current.url, callbackUrl, context, wording);
  if (kept) return notSet(kept);
  const set = await options.setWebhook();
  return set.ok ? { verdict: 'verified', detail: `${bot}, webhook set` } : notSet(set.problem);
}

/**
 * Releasing a channel's webhook (Telegram, Viber): it is removed (`remove`, the provider's
 * call; `removed` says how in the detail) only while the account's webhook (`current`) is
 * still this channel's callback URL at any address (`isChannelCallback`). An account connected
 * since to another channel or service keeps its webhook, and one that has none is left alone.
 */
export async function releaseWebhook(options: {
  current: WebhookRead;
  callbackUrl: string;
  holder: WebhookWording['holder'];
  remove: () => Promise<ConnectionCall>;
  removed: string;
}): Promise<ReleaseResult> {
  const { current, callbackUrl, holder } = options;
  if (!current.ok) return failedVerdict(current);
  if (!isChannelCallback(current.url, callbackUrl)) {
    return {
      verdict: 'kept',
      detail: current.url
        ? `the ${holder}'s webhook is not this channel's`
        : `the ${holder} has no webhook`,
    };
  }
  const removal = await options.remove();
  if (!removal.ok) return failedVerdict(removal);
  return { verdict: 'released', detail: options.removed };
}
