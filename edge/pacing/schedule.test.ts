import { describe, expect, test } from 'vitest';
import { reserveSlots } from './schedule';

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
});
