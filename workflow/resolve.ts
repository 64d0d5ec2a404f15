import { CHANNEL_CAPABILITIES, CHANNEL_LABELS } from './channel-capabilities';
import type { ChannelType } from './channel-types';
import type { ChannelSelector, MessageContent, SendMessageConfig } from './types';

/** A workspace channel as run-time resolution sees it. */
export interface ResolvableChannel {
  id: string;
  type: ChannelType;
  status: 'connected' | 'disconnected' | 'error';
}

/** A contact's address on one channel, and when they last wrote in there. */
export interface IdentityRef {
  channelId: string;
  address: string;
  lastInboundAt: Date | null;
}

/** The contact fields resolution needs. */
export interface ResolvableContact {
  id: string;
  email?: string | null;
  phone?: string | null;
  lastInteractedChannelId?: string | null;
}

/** Where a send goes, or the failure reason when it can go nowhere. */
export type ChannelResolution =
  | { ok: true; channel: ResolvableChannel; recipient: string; lastInboundAt: Date | null }
  | { ok: false; reason: 'no_associated_channel' | 'channel_not_connected'; detail: string };

const MISSING_FIELD = { email: 'e-mail address', phone: 'phone number' } as const;

function present(value: string | null | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** The contact's address on `channel`: their identity there, else the field the channel uses. */
function recipientFor(
  channel: ResolvableChannel,
  contact: ResolvableContact,
  identity: IdentityRef | undefined,
): string | undefined {
  if (identity && present(identity.address)) return identity.address;
  const capability = CHANNEL_CAPABILITIES[channel.type];
  switch (capability.recipient) {
    case 'email':
      return present(contact.email) ? contact.email : undefined;
    case 'phone':
      return present(contact.phone) ? contact.phone : undefined;
    case 'identity':
      return capability.fallsBackToContactId ? contact.id : undefined;
  }
}

function missingRecipientDetail(channel: ResolvableChannel): string {
  const { recipient } = CHANNEL_CAPABILITIES[channel.type];
  const label = CHANNEL_LABELS[channel.type];
  if (recipient === 'identity') return `contact has no identity on ${label}`;
  return `contact has no ${MISSING_FIELD[recipient]} for ${label}`;
}

/**
 * Picks the channel and recipient for a send (a send's first step):
 * the specific channel, or the contact's last interacted channel. Fails with
 * `no_associated_channel` when the contact has no last interacted channel or no address on the
 * channel, and with `channel_not_connected` when the channel is disconnected, in error, or was
 * deleted after the workflow was published.
 */
export function resolveChannel(
  selector: ChannelSelector,
  contact: ResolvableContact,
  channels: ReadonlyMap<string, ResolvableChannel>,
  identities: readonly IdentityRef[],
): ChannelResolution {
  let channel: ResolvableChannel | undefined;
  if (selector.kind === 'last_interacted') {
    const channelId = contact.lastInteractedChannelId;
    channel = channelId ? channels.get(channelId) : undefined;
    if (!channel) {
      return {
        ok: false,
        reason: 'no_associated_channel',
        detail: channelId
          ? `contact's last interacted channel ${channelId} no longer exists`
          : 'contact has not interacted on any channel',
      };
    }
  } else {
    channel = channels.get(selector.channelId);
    if (!channel) {
      return {
        ok: false,
        reason: 'channel_not_connected',
        detail: `channel ${selector.channelId} no longer exists`,
      };
    }
  }

  if (channel.status !== 'connected') {
    return {
      ok: false,
      reason: 'channel_not_connected',
      detail: `${CHANNEL_LABELS[channel.type]} channel ${channel.id} is ${channel.status}`,
    };
  }

  const identity = identities.find((candidate) => candidate.channelId === channel.id);
  const recipient = recipientFor(channel, contact, identity);
  if (recipient === undefined) {
    return { ok: false, reason: 'no_associated_channel', detail: missingRecipientDetail(channel) };
  }
  return { ok: true, channel, recipient, lastInboundAt: identity?.lastInboundAt ?? null };
}

/**
 * Picks the content for a send (a send's second step): the channel response for the resolved
 * channel when there is one, else the default message.
 */
export function resolveContent(
  config: SendMessageConfig,
  channelId: string,
): { content: MessageContent; source: 'channel_response' | 'default' } {
  const response = config.channelResponses.find((candidate) => candidate.channelId === channelId);
  return response
    ? { content: response.content, source: 'channel_response' }
    : { content: config.defaultMessage, source: 'default' };
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Whether `content` may be sent now on a channel with a messaging window (WhatsApp, Messenger,
 * Instagram: free-form messages only within 24 hours of the contact's last inbound message;
 * templates and tagged messages at any time). Checked before sending so that the provider is
 * not called for a send it must refuse.
 */
export function checkMessagingWindow(
  channelType: ChannelType,
  content: MessageContent,
  lastInboundAt: Date | null,
  now: Date,
): { open: true } | { open: false; detail: string } {
  const { window, label } = CHANNEL_CAPABILITIES[channelType];
  if (window === null || window.exemptTypes.includes(content.type)) return { open: true };
  const { hours, exemptLabel } = window;
  const outside = exemptLabel
    ? `only ${exemptLabel} can be sent`
    : 'nothing can be sent until they write in again';
  if (!lastInboundAt) {
    return {
      open: false,
      detail: `contact has never written in on ${label}; outside the ${hours}-hour window ${outside}`,
    };
  }
  const elapsed = now.getTime() - lastInboundAt.getTime();
  if (elapsed < hours * HOUR_MS) return { open: true };
  return {
    open: false,
    detail: `contact last wrote in on ${label} at ${lastInboundAt.toISOString()}, more than ${hours} hours ago; ${outside}`,
  };
}
