import type { ChannelIntegration } from '../integration';
import { twilioAdapter } from '../twilio/adapter';
import { twilioCallbacks } from '../twilio/callbacks';
import { twilioConnection } from '../twilio/connection';
import { smsTwilioDefinition } from './definition';

/** SMS and MMS through Twilio: sends, status and inbound callbacks, verification. */
export const smsTwilioIntegration: ChannelIntegration = {
  definition: smsTwilioDefinition,
  adapter: twilioAdapter('sms', smsTwilioDefinition),
  callbacks: twilioCallbacks('sms'),
  connection: twilioConnection('sms', smsTwilioDefinition),
};
