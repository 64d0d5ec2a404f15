import type { ChannelIntegration } from '../integration';
import { vonageAdapter } from '../vonage/adapter';
import { vonageCallbacks } from '../vonage/callbacks';
import { whatsappVonageDefinition } from './definition';

/** WhatsApp through Vonage: sends, and signed status and inbound webhooks. */
export const whatsappVonageIntegration: ChannelIntegration = {
  definition: whatsappVonageDefinition,
  adapter: vonageAdapter('whatsapp', whatsappVonageDefinition),
  callbacks: vonageCallbacks('whatsapp'),
};
