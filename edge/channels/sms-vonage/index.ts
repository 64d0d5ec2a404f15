import type { ChannelIntegration } from '../integration';
import { vonageAdapter } from '../vonage/adapter';
import { vonageCallbacks } from '../vonage/callbacks';
import { smsVonageDefinition } from './definition';

/** SMS through Vonage: sends, and signed status and inbound webhooks. */
export const smsVonageIntegration: ChannelIntegration = {
  definition: smsVonageDefinition,
  adapter: vonageAdapter('sms', smsVonageDefinition),
  callbacks: vonageCallbacks('sms'),
};
