import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition } from '../definition';
import { endpointUrl, secret } from '../fields';

/**
 * The custom channel: the workspace's own HTTPS endpoint receives each message as JSON signed
 * with Standard Webhooks. Media goes as the file's URL (no limits here); the endpoint's 2xx is
 * the last news we get.
 */
export const customWebhookDefinition = {
  type: 'custom',
  provider: 'webhook',
  label: 'Custom (webhook)',
  capability: CHANNEL_CAPABILITIES.custom,
  mediaLimits: null,
  deliveryReceipts: false,
  credentialsRequired: true,
  api: {
    key: 'custom',
    settingsType: 'CustomChannelSettings',
    credentialsInput: 'CustomChannelCredentialsInput',
  },
  settings: {
    url: endpointUrl({ required: true, description: 'http(s) endpoint' }),
  },
  credentials: {
    signingSecret: secret({
      required: true,
      description: 'Secret for Standard Webhooks signatures on outgoing requests.',
    }),
  },
} satisfies ChannelDefinition;
