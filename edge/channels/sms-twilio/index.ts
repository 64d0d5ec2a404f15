import type { ChannelIntegration } from '../integration';
import { smsTwilioDefinition } from './definition';

/** SMS through Twilio (definition only so far). */
export const smsTwilioIntegration: ChannelIntegration = { definition: smsTwilioDefinition };
