import type { ChannelIntegration } from '../integration';
import { customWebhookAdapter } from './adapter';
import { customWebhookDefinition } from './definition';

/** The custom channel: the workspace's own endpoint, signed with Standard Webhooks. */
export const customWebhookIntegration: ChannelIntegration = {
  definition: customWebhookDefinition,
  adapter: customWebhookAdapter,
};
