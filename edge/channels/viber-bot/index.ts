import type { ChannelIntegration } from '../integration';
import { viberBotAdapter } from './adapter';
import { viberBotCallbacks } from './callbacks';
import { viberBotConnection } from './connection';
import { viberBotDefinition } from './definition';

/** Viber through the REST Bot API: sends, signed callbacks (statuses, inbound), webhook on connect. */
export const viberBotIntegration: ChannelIntegration = {
  definition: viberBotDefinition,
  adapter: viberBotAdapter,
  callbacks: viberBotCallbacks,
  connection: viberBotConnection,
};
