/**
 * When each of a channel's messages may go, so that the channel never sends faster than its
 * rate: the generic cell rate algorithm (GCRA, the token bucket written as one timestamp) with
 * reservations and no burst. `nextSlotMs` is when the channel's next message is due; slots are
 * 1,000 / rate ms apart, and a message's wait is the time to its slot. Sent at their slots,
 * a channel's messages never put more than its rate into any one second, which is how
 * providers count "messages per second" (a burst allowance on top, as token buckets usually
 * give, was measured to put 1.5× the rate into a second: bench/README.md). Every message asked
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
  /**
   * The rate the slots up to `nextSlotMs` were reserved at (absent in state stored before it
   * was kept: taken as unchanged).
   */
  perSecond?: number;
}

/** A reservation's outcome for each message asked for, in order. */
export interface Reservation {
  /**
   * When each message may go (epoch ms; `nowMs` or later), absolute so that a consumer's
   * clock and the time the answer took to reach it do not shift the slots.
   */
  slotsAtMs: number[];
  /** How many of the messages asked for got a slot; the rest (if any) ask again later. */
  reserved: number;
  state: PaceState;
}

/** Most of the future one channel's slots may be reserved ahead (a queue message's delay). */
export const MAX_RESERVATION_MS = 12 * 60 * 60 * 1000;

/**
 * Longest a send waits for its slot inside its batch (a timer before its provider call); a send
 * whose slot is further away waits on the queue (edge/dispatch/pace.ts), and the message that
 * brings it back carries the slot's exact time (`DispatchMessage.slot`). The queue's delays are
 * whole seconds and its consumer may hold a message up to `max_batch_timeout` (1 s,
 * wrangler.toml) more, so the message is delayed a whole second less than its slot is away,
 * and waits out the rest in its batch: back late, it would go at once, together with the sends
 * of the slots after its own. When a channel's rate changes, the slots reserved at the old rate
 * within this window are being sent by batches under way and stay taken; the later ones belong
 * to sends waiting on the queue, which ask again at the new rate when they come back (their
 * slot names the rate it was reserved at).
 */
export const MAX_INLINE_WAIT_MS = 2_000;

/**
 * Reserves slots for `count` messages at `perSecond` from `nowMs` on. Messages past
 * `horizonMs` get no slot (their time is the horizon's): they ask again when they come back.
 * A rate other than the one the state's slots were reserved at starts a new line after the
 * old slots within MAX_INLINE_WAIT_MS: a lowered rate holds from then on, and a raised one
 * does not wait behind hours of slots spaced at the old rate (their sends ask again).
 */
export function reserveSlots(
  state: PaceState,
  count: number,
  perSecond: number,
  nowMs: number,
  horizonMs = MAX_RESERVATION_MS,
): Reservation {
  const intervalMs = 1000 / perSecond;
  const rateChanged = state.perSecond !== undefined && state.perSecond !== perSecond;
  const lineEndMs = rateChanged
    ? Math.min(state.nextSlotMs, nowMs + MAX_INLINE_WAIT_MS)
    : state.nextSlotMs;
  let slot = Math.max(lineEndMs, nowMs);
  const slotsAtMs: number[] = [];
  let reserved = 0;
  for (let i = 0; i < count; i++) {
    if (slot - nowMs > horizonMs) {
      slotsAtMs.push(nowMs + horizonMs);
      continue;
    }
    slotsAtMs.push(slot);
    slot += intervalMs;
    reserved++;
  }
  return { slotsAtMs, reserved, state: { nextSlotMs: slot, perSecond } };
}
