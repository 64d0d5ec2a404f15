import { describe, expect, test } from 'vitest';
import { MAX_INLINE_WAIT_MS, reserveSlots } from './schedule';

const NOW = 1_800_000_000_000;

describe('reserveSlots', () => {
  test('an idle channel sends its first message now and the rest one interval apart', () => {
    const { slotsAtMs, reserved } = reserveSlots({ nextSlotMs: 0 }, 100, 80, NOW);
    const delaysMs = slotsAtMs.map((slot) => slot - NOW);
    expect(reserved).toBe(100);
    expect(delaysMs[0]).toBe(0);
    expect(delaysMs[1]).toBeCloseTo(12.5);
    expect(delaysMs[79]).toBeCloseTo(987.5);
    expect(delaysMs[99]).toBeCloseTo(1237.5);
  });

  test('a second request waits behind the slots the first reserved', () => {
    const first = reserveSlots({ nextSlotMs: 0 }, 100, 80, NOW);
    const second = reserveSlots(first.state, 80, 80, NOW + 100);
    // 100 slots reserved from NOW: the next one is 1,250 ms on.
    expect(second.slotsAtMs[0]! - NOW).toBeCloseTo(1250);
    expect(second.slotsAtMs[79]! - NOW).toBeCloseTo(1250 + 79 * 12.5);
  });

  test('sent at their slots, no second ever holds more than the rate, however the requests come', () => {
    let state = { nextSlotMs: 0 };
    const sendTimes: number[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const at = NOW + batch * 37;
      const reservation = reserveSlots(state, 100, 30, at);
      state = reservation.state;
      sendTimes.push(...reservation.slotsAtMs);
    }
    sendTimes.sort((a, b) => a - b);
    let start = 0;
    for (let end = 0; end < sendTimes.length; end++) {
      // Epoch milliseconds as doubles resolve to ~0.0002 ms: 30 slots of 1,000/30 ms add up to
      // a hair under a second, which is still a second.
      while (sendTimes[end]! - sendTimes[start]! >= 999.99) start++;
      expect(end - start + 1).toBeLessThanOrEqual(30);
    }
    // 5,000 messages at 30/s: the last goes ~166.6 s after the first, not sooner.
    expect(sendTimes.at(-1)! - NOW).toBeGreaterThan(166_000);
  });

  test('an idle gap is not saved up: after a pause the channel starts again at its rate', () => {
    const first = reserveSlots({ nextSlotMs: 0 }, 10, 10, NOW);
    const later = reserveSlots(first.state, 25, 10, NOW + 60_000);
    const delaysMs = later.slotsAtMs.map((slot) => slot - NOW - 60_000);
    expect(delaysMs[0]).toBe(0);
    expect(delaysMs[1]).toBeCloseTo(100);
    expect(delaysMs[24]).toBeCloseTo(2400);
  });

  test('messages past the horizon get no slot and are told to come back at the horizon', () => {
    const { slotsAtMs, reserved, state } = reserveSlots({ nextSlotMs: 0 }, 10, 1, NOW, 3_000);
    expect(reserved).toBe(4);
    expect(slotsAtMs.map((slot) => slot - NOW)).toEqual([
      0, 1000, 2000, 3000, 3000, 3000, 3000, 3000, 3000, 3000,
    ]);
    expect(state.nextSlotMs).toBe(NOW + 4000);
  });

  test('a lowered rate holds from the change on: the old line past the batches under way is asked again', () => {
    // 80/s, a campaign's 100,000 slots reserved over the next ~21 minutes.
    let state = { nextSlotMs: 0 };
    for (let i = 0; i < 1000; i++) state = reserveSlots(state, 100, 80, NOW).state;
    expect(state.nextSlotMs - NOW).toBeCloseTo(1_250_000);
    // Meta throttles the number; its user sets 10/s. The slots within the 2 s the batches under
    // way send stay taken; after them, 10 a second.
    const lowered = reserveSlots(state, 30, 10, NOW + 1_000);
    const delaysMs = lowered.slotsAtMs.map((slot) => slot - NOW - 1_000);
    expect(delaysMs[0]).toBeCloseTo(MAX_INLINE_WAIT_MS);
    expect(delaysMs[1]! - delaysMs[0]!).toBeCloseTo(100);
    expect(delaysMs[29]).toBeCloseTo(MAX_INLINE_WAIT_MS + 2_900);
    expect(lowered.state).toEqual({ nextSlotMs: lowered.slotsAtMs[29]! + 100, perSecond: 10 });
  });

  test('a raised rate is not stuck behind hours of slots reserved at the old one', () => {
    // 1/s: 43,201 slots fill the 12-hour horizon (the last one at it).
    let state = { nextSlotMs: 0 };
    for (let i = 0; i < 433; i++) state = reserveSlots(state, 100, 1, NOW).state;
    expect(reserveSlots(state, 1, 1, NOW).reserved).toBe(0);
    const raised = reserveSlots(state, 100, 1000, NOW + 500);
    expect(raised.reserved).toBe(100);
    // 2 s after the change (the old slots before then are those of batches under way), then a
    // millisecond apart: not 12 hours on.
    expect(raised.slotsAtMs[0]! - NOW).toBeCloseTo(500 + MAX_INLINE_WAIT_MS);
    expect(raised.slotsAtMs[99]! - NOW).toBeCloseTo(500 + MAX_INLINE_WAIT_MS + 99);
  });

  test('the same rate keeps the whole line, and a state stored without its rate is taken as unchanged', () => {
    const line = reserveSlots({ nextSlotMs: 0 }, 100, 1, NOW).state;
    expect(reserveSlots(line, 1, 1, NOW).slotsAtMs).toEqual([NOW + 100_000]);
    expect(reserveSlots({ nextSlotMs: NOW + 100_000 }, 1, 5, NOW).slotsAtMs).toEqual([
      NOW + 100_000,
    ]);
  });
});
