import type { ChannelType } from '../../workflow/channel-types';
import { isE164 } from '../../workflow/contact-fields';
import type { FailureReason } from '../../workflow/types';
import type { RenderedMessage } from '../render/types';
import type { SmtpConnect } from './smtp/client';

export type { ChannelType, FailureReason, RenderedMessage };

/** A connected channel as an adapter sees it; `credentials` are already decrypted. */
export interface ChannelRecord {
  id: string;
  type: ChannelType;
  /** The provider API the channel goes through (see edge/channels/registry.ts). */
  provider: string;
  name: string;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

/** One message to send to one contact. */
export interface OutboundMessage {
  /** The idempotency key for providers; the email Message-ID is derived from it. */
  deliveryId: string;
  workspaceId: string;
  channel: ChannelRecord;
  /** Email address, E.164 phone, PSID, chat id, or contact id, by channel. */
  recipient: string;
  contact: {
    id: string;
    firstName?: string | null;
    lastName?: string | null;
    email?: string | null;
    phone?: string | null;
  };
  rendered: RenderedMessage;
  /**
   * The provider's own thread this email continues (Gmail's `threadId`), when an earlier email
   * of the same workflow to the same contact on this channel started one.
   */
  providerThread?: ProviderThread | null;
}

/** A provider's email thread: its id and the subject it started with. */
export interface ProviderThread {
  id: string;
  subject: string;
}

/**
 * What a send came to. Adapters never throw for provider failures: they classify them.
 * `retryable` failures (timeouts, connection errors, 5xx, 429) are retried with backoff by
 * dispatch; the others fail the delivery at once.
 */
export type SendOutcome =
  | {
      status: 'sent';
      providerMessageId: string;
      providerDetail?: string;
      /** The provider's thread the email joined (or started), to continue it next time. */
      providerThread?: ProviderThread;
      /**
       * The Message-ID the provider gave the email when it replaced ours (Gmail's API may):
       * the thread's later emails must name this one in In-Reply-To/References.
       */
      messageIdHeader?: string;
      /** SMS segments the text was billed as (edge/channels/sms/segments.ts). */
      segments?: number;
    }
  | {
      status: 'failed';
      reason: FailureReason;
      detail: string;
      retryable: boolean;
      /** The provider's Retry-After, when it gave one. */
      retryAfterSeconds?: number;
      /**
       * The channel cannot send again until someone fixes it (a revoked OAuth grant): dispatch
       * puts it in ERROR, so later sends fail at once instead of asking the provider again.
       */
      channelError?: boolean;
    };

/**
 * Provider API base URLs and versions from the Worker's env (`GRAPH_API_URL`,
 * `GRAPH_API_VERSION`, …), each integration reading its own with the real host as default.
 */
export type ProviderEndpoints = Readonly<Record<string, string>>;

/** Reads uploaded files' bytes (the Worker's media bucket), for adapters that carry them. */
export interface MediaReader {
  /** The bytes stored under `storageKey`, or null when nothing is stored there. */
  read(storageKey: string): Promise<Uint8Array | null>;
}

/** Deployment settings that every adapter honours. */
export interface AdapterOptions {
  /** Local development allows loopback/private targets; production refuses them. */
  allowPrivateUrls: boolean;
  /** Upper bound for one provider call (connect to final reply). */
  timeoutMs?: number;
  /** The clock (webhook timestamps, email Date header); tests pin it. */
  now?: () => Date;
  /** Opens TCP connections (the Worker's `cloudflare:sockets`); absent where none can be. */
  connectTcp?: SmtpConnect;
  /** Provider base URLs from the env; an absent one means the real host. */
  endpoints?: ProviderEndpoints;
  /**
   * The deployment's public origin (`PUBLIC_URL`): adapters whose providers take a callback URL
   * per message (Twilio's `StatusCallback`) build it under this; absent, they send none.
   */
  callbackOrigin?: string;
  /** Uploaded files' bytes (email attaches them); absent where no media bucket is bound. */
  media?: MediaReader;
}

/** A provider integration's send: one message, one classified outcome. */
export interface ChannelAdapter {
  send(message: OutboundMessage, options: AdapterOptions): Promise<SendOutcome>;
}

/** The timeout adapters use when AdapterOptions gives none. */
export const DEFAULT_SEND_TIMEOUT_MS = 15_000;

/** A permanent failure outcome. */
export function permanentFailure(reason: FailureReason, detail: string): SendOutcome {
  return { status: 'failed', reason, detail, retryable: false };
}

/** A transient failure outcome, retried by dispatch. */
export function transientFailure(
  reason: FailureReason,
  detail: string,
  retryAfterSeconds?: number,
): SendOutcome {
  return retryAfterSeconds === undefined
    ? { status: 'failed', reason, detail, retryable: true }
    : { status: 'failed', reason, detail, retryable: true, retryAfterSeconds };
}

/**
 * The failure for a recipient that is not an E.164 phone number (nor `other`, where the network
 * takes another address), on networks addressed by phone (WhatsApp, SMS); null when it is one.
 * Checked before any provider call.
 */
export function phoneRecipientFailure(
  recipient: string,
  network: string,
  /** Another address the network takes besides a phone (WhatsApp's business-scoped user ID). */
  other?: { name: string; test: (recipient: string) => boolean },
): SendOutcome | null {
  if (isE164(recipient) || other?.test(recipient)) return null;
  return permanentFailure(
    'no_associated_channel',
    `the contact has no E.164 phone number${other ? ` or ${other.name}` : ''} for ${network}`,
  );
}
