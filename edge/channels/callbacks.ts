import type { ChannelEvent } from './events';
import type { ChannelRecord } from './types';

/**
 * What a provider integration knows about the callbacks its provider sends us (status updates,
 * inbound messages): the subscription handshake, the signature check on the raw body, and the
 * parse into provider-neutral events. The host's callback routes (edge/host/callback-routes.ts)
 * run them in that order: nothing is parsed before the signature holds.
 */

/** The channel a callback URL names, with decrypted credentials and its verify token. */
export interface CallbackChannel extends ChannelRecord {
  /** The token the provider's handshake must present (shown by the API). */
  callbackToken: string | null;
}

/** Where providers send a channel's callbacks (edge/host/callback-routes.ts serves it). */
export const CALLBACK_PATH = '/callbacks';

/** The callback URL of a channel under `origin` (the deployment's public address). */
export function callbackUrl(origin: string, provider: string, channelId: string): string {
  return `${origin.replace(/\/+$/, '')}${CALLBACK_PATH}/${provider}/${channelId}`;
}

/** Whether a callback's signature holds. */
export type SignatureVerdict = 'ok' | 'missing' | 'invalid';

export interface ChannelCallbacks {
  /** Answers the provider's subscription handshake (a GET to the callback URL). */
  handshake?(query: URLSearchParams, channel: CallbackChannel): { status: number; body: string };
  /** Checks the provider's signature over the raw body as received. */
  verify(
    request: {
      headers: Headers;
      body: Uint8Array<ArrayBuffer>;
      /** The full URL the provider called, under the public origin (Twilio signs it). */
      url: string;
    },
    channel: CallbackChannel,
  ): Promise<SignatureVerdict>;
  /** The events in a verified payload, for this channel; what is not understood is skipped. */
  parse(body: string, channel: CallbackChannel): ChannelEvent[];
  /**
   * The provider posts the callbacks of every account of one app (numbers, Pages) to the
   * app's one callback URL, so a payload at one channel's URL may be about the workspace's
   * other channels of the same app: the route parses it for each channel whose
   * `settings[accountSetting]` is an account the payload names other than this channel's, once
   * that channel's own signature check passes on it (edge/host/callback-routes.ts).
   */
  sharedAppUrl?: {
    accountSetting: string;
    /** The accounts (number ids, Page ids) a payload's entries are about. */
    accountsIn(body: string): string[];
  };
}
