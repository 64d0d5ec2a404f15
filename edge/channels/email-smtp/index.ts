import type { ChannelIntegration } from '../integration';
import { emailSmtpAdapter } from './adapter';
import { emailSmtpDefinition } from './definition';

/** Email over SMTP from the Worker. */
export const emailSmtpIntegration: ChannelIntegration = {
  definition: emailSmtpDefinition,
  adapter: emailSmtpAdapter,
};
