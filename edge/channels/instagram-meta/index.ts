import type { ChannelIntegration } from '../integration';
import { instagramMetaAdapter } from './adapter';
import { instagramMetaCallbacks } from './callbacks';
import { instagramMetaConnection } from './connection';
import { instagramMetaDefinition } from './definition';

/** Instagram through the Messenger Platform's Instagram API: sends, webhooks, verification. */
export const instagramMetaIntegration: ChannelIntegration = {
  definition: instagramMetaDefinition,
  adapter: instagramMetaAdapter,
  callbacks: instagramMetaCallbacks,
  connection: instagramMetaConnection,
};
