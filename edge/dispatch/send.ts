import type { CredentialCipher } from '../../db/credentials';
import { CHANNEL_LABELS } from '../../workflow/channel-capabilities';
import type { SmtpConnect } from '../channels/smtp/client';
import type {
  ChannelAdapter,
  ChannelRecord,
  MediaReader,
  ProviderEndpoints,
  SendOutcome,
} from '../channels/types';
import type { MediaLinkSigner } from '../media/signed-link';
import type { DispatchChannel } from './library';
import type { DispatchContact } from './load';
import type { ReadySend } from './prepare';

/** Finds the adapter of a channel's integration (edge/channels/registry.ts). */
export type AdapterLookup = (
  channel: Pick<DispatchChannel, 'type' | 'provider'>,
) => ChannelAdapter | undefined;

/** What the host gives every send: the outbound policy and the runtime's capabilities. */
export interface SendRuntime {
  allowPrivateUrls: boolean;
  /** TCP for SMTP (the Worker's `cloudflare:sockets`). */
  connectTcp?: SmtpConnect;
  /** Provider base URLs from the env. */
  endpoints?: ProviderEndpoints;
  /** The public origin callback URLs are built under (`PUBLIC_URL`). */
  callbackOrigin?: string;
  /** Signs links to uploads (needs PUBLIC_URL). */
  mediaLinks?: MediaLinkSigner;
  /** Reads uploads' bytes (the media bucket). */
  media?: MediaReader;
}

/** What sending needs beyond the message: the adapters, the runtime and the time budget. */
export interface SendSettings extends SendRuntime {
  adapterFor: AdapterLookup;
  timeoutMs: number;
}

/**
 * Builds each channel's record for its adapter at most once per batch (a batch often sends many
 * messages on one channel): its credentials are decrypted once, and the adapter's read of the
 * record (`readChannel`: fields parsed, URLs checked) is kept with that one object. A failed
 * decryption is cached too: it will not succeed on retry. Nothing outlives the batch, so a
 * channel edited between batches is read afresh.
 */
export function channelRecordsLoader(cipher: CredentialCipher) {
  const cache = new Map<string, Promise<ChannelRecord>>();
  return function recordFor(channel: DispatchChannel): Promise<ChannelRecord> {
    let record = cache.get(channel.id);
    if (!record) {
      const credentials = channel.credentialsCiphertext
        ? cipher.decrypt<Record<string, unknown>>(channel.credentialsCiphertext)
        : Promise.resolve({});
      record = credentials.then((decrypted) => ({
        id: channel.id,
        type: channel.type,
        provider: channel.provider ?? '',
        name: channel.name,
        settings: channel.settings,
        credentials: decrypted,
      }));
      cache.set(channel.id, record);
    }
    return record;
  };
}

/**
 * Hands one prepared send to its channel's adapter (a send's last step)
 * with the delivery id as idempotency key. Adapters classify provider answers themselves; what
 * they throw is by contract something a retry can fix, so it becomes a retryable network
 * failure here. No database work happens in here: no transaction is open across the call.
 */
export async function deliver(
  ready: ReadySend,
  delivery: { deliveryId: string; workspaceId: string; contact: DispatchContact },
  recordFor: (channel: DispatchChannel) => Promise<ChannelRecord>,
  settings: SendSettings,
): Promise<SendOutcome> {
  const { channel } = ready;
  const adapter = settings.adapterFor(channel);
  if (!adapter) {
    return {
      status: 'failed',
      reason: 'channel_not_connected',
      detail: `sending on ${CHANNEL_LABELS[channel.type]} is not available in this deployment`,
      retryable: false,
    };
  }
  let record: ChannelRecord;
  try {
    record = await recordFor(channel);
  } catch {
    return {
      status: 'failed',
      reason: 'credentials_rejected',
      detail: "the channel's stored credentials cannot be decrypted; enter them again",
      retryable: false,
    };
  }
  try {
    return await adapter.send(
      {
        deliveryId: delivery.deliveryId,
        workspaceId: delivery.workspaceId,
        channel: record,
        recipient: ready.recipient,
        // Only the fields the adapters' contract names: partners' endpoints receive this.
        contact: {
          id: delivery.contact.id,
          firstName: delivery.contact.firstName,
          lastName: delivery.contact.lastName,
          email: delivery.contact.email,
          phone: delivery.contact.phone,
        },
        rendered: ready.rendered,
        ...(ready.providerThread ? { providerThread: ready.providerThread } : {}),
      },
      {
        allowPrivateUrls: settings.allowPrivateUrls,
        timeoutMs: settings.timeoutMs,
        ...(settings.connectTcp ? { connectTcp: settings.connectTcp } : {}),
        ...(settings.endpoints ? { endpoints: settings.endpoints } : {}),
        ...(settings.callbackOrigin ? { callbackOrigin: settings.callbackOrigin } : {}),
        ...(settings.media ? { media: settings.media } : {}),
      },
    );
  } catch (error) {
    return {
      status: 'failed',
      reason: 'network',
      detail: error instanceof Error ? error.message : String(error),
      retryable: true,
    };
  }
}
