import type { ChannelIntegration } from '../integration';
import { messengerMetaAdapter } from './adapter';
import { messengerMetaCallbacks } from './callbacks';
import { messengerMetaConnection } from './connection';
import { messengerMetaDefinition } from './definition';

/** Messenger through Meta's Messenger Platform: sends, webhooks and verification. */
export const messengerMetaIntegration: ChannelIntegration = {
  definition: messengerMetaDefinition,
  adapter: messengerMetaAdapter,
  callbacks: messengerMetaCallbacks,
  connection: messengerMetaConnection,
};
