import type { ChannelIntegration } from '../integration';
import { whatsapp360dialogAdapter } from './adapter';
import { whatsapp360dialogCallbacks } from './callbacks';
import { whatsapp360dialogConnection } from './connection';
import { whatsapp360dialogDefinition } from './definition';

/** WhatsApp through 360dialog: Cloud API sends and webhooks behind 360dialog's host and key. */
export const whatsapp360dialogIntegration: ChannelIntegration = {
  definition: whatsapp360dialogDefinition,
  adapter: whatsapp360dialogAdapter,
  callbacks: whatsapp360dialogCallbacks,
  connection: whatsapp360dialogConnection,
};
