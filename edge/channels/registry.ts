import type { ChannelType } from '../../workflow/channel-types';
import { customWebhookIntegration } from './custom-webhook';
import { emailGmailIntegration } from './email-gmail';
import { emailSmtpIntegration } from './email-smtp';
import { instagramMetaIntegration } from './instagram-meta';
import type { ChannelIntegration } from './integration';
import { lineMessagingIntegration } from './line-messaging';
import { messengerMetaIntegration } from './messenger-meta';
import { smsTwilioIntegration } from './sms-twilio';
import { smsVonageIntegration } from './sms-vonage';
import { telegramBotIntegration } from './telegram-bot';
import type { ChannelAdapter } from './types';
import { viberBotIntegration } from './viber-bot';
import { whatsapp360dialogIntegration } from './whatsapp-360dialog';
import { whatsappMetaIntegration } from './whatsapp-meta';
import { whatsappTwilioIntegration } from './whatsapp-twilio';
import { whatsappVonageIntegration } from './whatsapp-vonage';

/**
 * Every channel integration this deployment knows, one line each: adding a provider is adding
 * its folder and a line here. The first integration listed for a channel type is that type's
 * default (channels saved before providers existed use it). Nothing here needs workerd (the
 * host hands TCP to the adapters), so the API reads definitions from this list too.
 */
export const CHANNEL_INTEGRATIONS: readonly ChannelIntegration[] = [
  emailSmtpIntegration,
  customWebhookIntegration,
  whatsappMetaIntegration,
  messengerMetaIntegration,
  instagramMetaIntegration,
  telegramBotIntegration,
  smsTwilioIntegration,
  emailGmailIntegration,
  lineMessagingIntegration,
  viberBotIntegration,
  whatsappTwilioIntegration,
  whatsapp360dialogIntegration,
  smsVonageIntegration,
  whatsappVonageIntegration,
];

/** The provider names in use, in registry order. */
export const CHANNEL_PROVIDERS: readonly string[] = [
  ...new Set(CHANNEL_INTEGRATIONS.map((integration) => integration.definition.provider)),
];

/** The integration of a channel type through a provider; no provider means the type's default. */
export function integrationFor(
  type: ChannelType,
  provider?: string | null,
): ChannelIntegration | undefined {
  return CHANNEL_INTEGRATIONS.find(
    (integration) =>
      integration.definition.type === type &&
      (provider == null || integration.definition.provider === provider),
  );
}

/** A stored channel's provider: its own, or its type's default for rows saved before providers. */
export function providerOf(channel: { type: ChannelType; provider: string | null }): string | null {
  return channel.provider ?? integrationFor(channel.type)?.definition.provider ?? null;
}

/** The adapter that sends on a stored channel, or undefined when this deployment has none. */
export function adapterFor(channel: {
  type: ChannelType;
  provider: string | null;
}): ChannelAdapter | undefined {
  return integrationFor(channel.type, providerOf(channel))?.adapter;
}
