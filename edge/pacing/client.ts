import type { DurableObjectNamespace } from '@cloudflare/workers-types/latest';
import { PACER_ORIGIN, RESERVE_PATH, type ReserveResponse } from './protocol';

/** Reserves send slots on a channel (./pacer.ts): what dispatch asks before sending. */
export interface SendPacer {
  reserve(channelId: string, count: number, perSecond: number): Promise<ReserveResponse>;
}

/** A SendPacer over the CHANNEL_PACER binding: one ChannelPacer object per channel id. */
export function channelPacer(namespace: DurableObjectNamespace): SendPacer {
  return {
    async reserve(channelId, count, perSecond) {
      const pacer = namespace.get(namespace.idFromName(channelId));
      const response = await pacer.fetch(`${PACER_ORIGIN}${RESERVE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count, perSecond }),
      });
      if (!response.ok) throw new Error(`ChannelPacer answered ${response.status}`);
      return (await response.json()) as ReserveResponse;
    },
  };
}
