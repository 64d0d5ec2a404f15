import type { ChannelIntegration } from '../integration';
import { whatsappMetaAdapter } from './adapter';
import { whatsappMetaCallbacks } from './callbacks';
import { whatsappMetaConnection } from './connection';
import { whatsappMetaDefinition } from './definition';

/** WhatsApp through Meta's Cloud API: sends, webhooks, verification and templates. */
export const whatsappMetaIntegration: ChannelIntegration = {
  definition: whatsappMetaDefinition,
  adapter: whatsappMetaAdapter,
  callbacks: whatsappMetaCallbacks,
  connection: whatsappMetaConnection,
};
