import type { ChannelIntegration } from '../integration';
import { twilioAdapter } from '../twilio/adapter';
import { twilioCallbacks } from '../twilio/callbacks';
import { twilioConnection } from '../twilio/connection';
import { whatsappTwilioDefinition } from './definition';

/** WhatsApp through Twilio: sends, status and inbound callbacks, verification. */
export const whatsappTwilioIntegration: ChannelIntegration = {
  definition: whatsappTwilioDefinition,
  adapter: twilioAdapter('whatsapp', whatsappTwilioDefinition),
  callbacks: twilioCallbacks('whatsapp'),
  connection: twilioConnection('whatsapp', whatsappTwilioDefinition),
};
