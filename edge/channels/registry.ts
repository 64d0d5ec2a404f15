import type { ChannelType } from '../../workflow/channel-types';
import { customAdapter } from './custom';
import { emailAdapter } from './email';
import type { ChannelAdapter } from './types';

/**
 * The adapter for each channel type this deployment can send on. WhatsApp, Messenger,
 * Telegram and SMS plug in here with the same interface; until then dispatch reports their
 * channels as not available. Imports `cloudflare:sockets` (through the email adapter), so this
 * module runs in workerd only.
 */
const ADAPTERS: Partial<Record<ChannelType, ChannelAdapter>> = {
  email: emailAdapter,
  custom: customAdapter,
};

/** The adapter that sends on `type`, or undefined when this deployment has none. */
export function adapterFor(type: ChannelType): ChannelAdapter | undefined {
  return ADAPTERS[type];
}
