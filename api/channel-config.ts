import { parseChannelCredentials, parseChannelSettings } from '../edge/channels/channel-config';
import type { ChannelIntegration } from '../edge/channels/integration';
import { integrationFor } from '../edge/channels/registry';
import type { ChannelType } from '../workflow/channel-types';
import { MAX_CHANNEL_MESSAGES_PER_SECOND } from '../workflow/send-rate';
import { memberFor, memberPath } from './schema/channel-settings';
import type { IssueList } from './validation';

/**
 * Saving a channel: which integration it is (its type through a provider, the type's default
 * when none is named), and its settings and credentials parsed by the integration's own
 * parser (edge/channels/channel-config.ts), the same one its adapter runs before each send.
 */

/** The integration for `type` through `provider`, or an issue at `provider` when none. */
export function channelIntegration(
  type: ChannelType,
  provider: string | null | undefined,
  issues: IssueList,
): ChannelIntegration | undefined {
  const integration = integrationFor(type, provider);
  if (!integration) {
    issues.add(
      'INVALID_VALUE',
      'provider',
      provider
        ? `${provider} does not connect ${type} channels in this deployment`
        : `No provider connects ${type} channels in this deployment yet`,
    );
  }
  return integration;
}

/** The settings to store, from the input's member for `integration`. */
export function settingsFromInput(
  integration: ChannelIntegration,
  input: Record<string, unknown> | null | undefined,
  issues: IssueList,
  allowPrivateUrls: boolean,
): Record<string, unknown> {
  return parseChannelSettings(
    integration.definition,
    memberFor(integration, input, 'settings', issues),
    issues,
    memberPath(integration, 'settings'),
    { allowPrivateUrls },
  );
}

/** The credentials to encrypt, from the input's member; null when none are given. */
export function credentialsFromInput(
  integration: ChannelIntegration,
  input: Record<string, unknown> | null | undefined,
  issues: IssueList,
): Record<string, string> | null {
  const credentials = parseChannelCredentials(
    integration.definition,
    memberFor(integration, input, 'credentials', issues),
    issues,
    memberPath(integration, 'credentials'),
  );
  if (!credentials) return null;
  // Absent optional secrets are not stored.
  return Object.fromEntries(
    Object.entries(credentials).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

/**
 * The send rate to store from the input's `maxMessagesPerSecond` (null: the integration's
 * documented default applies), with INVALID_VALUE at that path when out of range (GraphQL's
 * Int already refuses fractions). The column's CHECK holds the same range.
 */
export function sendRateFromInput(value: number | null, issues: IssueList): number | null {
  if (
    value != null &&
    (!Number.isInteger(value) || value < 1 || value > MAX_CHANNEL_MESSAGES_PER_SECOND)
  ) {
    issues.add(
      'INVALID_VALUE',
      'maxMessagesPerSecond',
      `Must be a whole number of messages per second from 1 to ${MAX_CHANNEL_MESSAGES_PER_SECOND.toLocaleString('en-US')}`,
    );
  }
  return value;
}
