/**
 * When each of a channel's messages may go, so that the channel never sends faster than its
 * rate: the generic cell rate algorithm (GCRA, the token bucket written as one timestamp) with
 * reservations. `nextSlotMs` is when the channel's next message would be due if messages went
 * exactly one interval apart (1,000 / rate ms); a message may go now while its slot is at most
 * one second minus one interval ahead (a second's worth of messages as a burst, the way
 * providers count "messages per second"), and otherwise waits until it is. Every message asked
 * for gets a slot, those that must wait included: a campaign of 100,000 on an 80/s WhatsApp
 * number is spread over 21 minutes at once, instead of each batch asking again and again.
 *
 * Written here rather than taken from a rate-limiting library: the libraries for Workers
 * (Cloudflare's Rate Limiting binding, `@upstash/ratelimit`) answer allow/deny for one request
 * at a time and keep no reservations; a dispatch batch needs "when may each of these 100 go".
 */

/** What a channel's pacer keeps between requests. */
export interface PaceState {
  /** The slot of the channel's next message (ms since the epoch); 0 when none was ever paced. */
  nextSlotMs: number;
}

/** A reservation's outcome for each message asked for, in order. */
export interface Reservation {
  /** How long each message must wait before it goes (0: now), in milliseconds. */
  delaysMs: number[];
  /** How many of the messages asked for got a slot; the rest (if any) ask again later. */
  reserved: number;
  state: PaceState;
}

/** Most of the future one channel's slots may be reserved ahead (a queue message's delay). */
export const MAX_RESERVATION_MS = 12 * 60 * 60 * 1000;

/**
 * Reserves slots for `count` messages at `perSecond` from `nowMs` on. Messages past
 * `horizonMs` get no slot (their delay is the horizon): they ask again when they come back.
 */
export function reserveSlots(
  state: PaceState,
  count: number,
  perSecond: number,
  nowMs: number,
  horizonMs = MAX_RESERVATION_MS,
): Reservation {
  const intervalMs = 1000 / perSecond;
  const burstMs = 1000 - intervalMs;
  let slot = Math.max(state.nextSlotMs, nowMs);
  const delaysMs: number[] = [];
  let reserved = 0;
  for (let i = 0; i < count; i++) {
    const delay = Math.max(0, slot - burstMs - nowMs);
    if (delay > horizonMs) {
      delaysMs.push(horizonMs);
      continue;
    }
    delaysMs.push(delay);
    slot += intervalMs;
    reserved++;
  }
  return { delaysMs, reserved, state: { nextSlotMs: slot } };
}
