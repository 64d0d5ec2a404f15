import type { ChannelIntegration } from '../integration';
import { lineMessagingAdapter } from './adapter';
import { lineMessagingCallbacks } from './callbacks';
import { lineMessagingConnection } from './connection';
import { lineMessagingDefinition } from './definition';

/** LINE through the Messaging API: push messages, signed webhooks, bot info and webhook URL. */
export const lineMessagingIntegration: ChannelIntegration = {
  definition: lineMessagingDefinition,
  adapter: lineMessagingAdapter,
  callbacks: lineMessagingCallbacks,
  connection: lineMessagingConnection,
};
