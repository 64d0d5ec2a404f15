import type { ChannelCallbacks } from './callbacks';
import type { ChannelConnection } from './connection';
import type { ChannelDefinition } from './definition';
import type { ChannelAdapter } from './types';

/**
 * Everything about one channel integration (a network through a provider API), exported by its
 * folder and listed once in edge/channels/registry.ts. Only the definition is mandatory: an
 * integration without an adapter can be connected and used in steps, and its sends fail as
 * "not available in this deployment".
 */
export interface ChannelIntegration {
  definition: ChannelDefinition;
  adapter?: ChannelAdapter;
  callbacks?: ChannelCallbacks;
  connection?: ChannelConnection;
}
