import { MAX_CHANNEL_MESSAGES_PER_SECOND } from '../../workflow/send-rate';

/** How a consumer talks to a ChannelPacer (./pacer.ts), and the one key it stores. */

/** The origin of requests to the pacer (a Durable Object needs a URL, not a real host). */
export const PACER_ORIGIN = 'https://pacer.internal';
export const RESERVE_PATH = '/reserve';
export const PACER_STATE_KEY = 'pace';

/** Most messages one request reserves: a dispatch batch (Queues: at most 100 per batch). */
export const MAX_RESERVE_COUNT = 100;

export interface ReserveRequest {
  count: number;
  perSecond: number;
}

export interface ReserveResponse {
  /** Per message asked for, in order: when it may go (epoch ms). */
  slotsAtMs: number[];
  /** How many got a slot (the first `reserved`); the rest ask again when they come back. */
  reserved: number;
}

/** The request in `body`, or null when it is not a valid one. */
export function parseReserveRequest(body: unknown): ReserveRequest | null {
  if (typeof body !== 'object' || body === null) return null;
  const { count, perSecond } = body as Record<string, unknown>;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_RESERVE_COUNT)
    return null;
  if (
    !Number.isInteger(perSecond) ||
    (perSecond as number) < 1 ||
    (perSecond as number) > MAX_CHANNEL_MESSAGES_PER_SECOND
  )
    return null;
  return { count: count as number, perSecond: perSecond as number };
}
