import { describe, expect, test } from 'vitest';
import { reserveSlots } from './schedule';

const NOW = 1_800_000_000_000;

describe('reserveSlots', () => {
  test('an idle channel sends one second of its rate at once and spaces the rest one interval apart', () => {
    const { delaysMs, reserved } = reserveSlots({ nextSlotMs: 0 }, 100, 80, NOW);
    expect(reserved).toBe(100);
    expect(delaysMs.slice(0, 80).every((delay) => delay === 0)).toBe(true);
    expect(delaysMs[80]).toBeCloseTo(12.5);
    expect(delaysMs[99]).toBeCloseTo(250);
  });

  test('a second request waits behind the slots the first reserved', () => {
    const first = reserveSlots({ nextSlotMs: 0 }, 100, 80, NOW);
    const second = reserveSlots(first.state, 80, 80, NOW + 100);
    // 100 slots reserved from NOW: the next one is 1,250 ms on, due 1,250 − 987.5 − 100 ms later.
    expect(second.delaysMs[0]).toBeCloseTo(162.5);
    expect(second.delaysMs[79]).toBeCloseTo(162.5 + 79 * 12.5);
  });

  test('no second ever holds more messages than the rate plus the burst, however the requests come', () => {
    let state = { nextSlotMs: 0 };
    const sendTimes: number[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const at = NOW + batch * 37;
      const reservation = reserveSlots(state, 100, 30, at);
      state = reservation.state;
      for (const delay of reservation.delaysMs) sendTimes.push(at + delay);
    }
    sendTimes.sort((a, b) => a - b);
    // Sliding windows of one second: the first holds the burst (30), later ones the rate.
    for (let i = 0; i < sendTimes.length; i++) {
      const inWindow = sendTimes.filter((t) => t >= sendTimes[i]! && t < sendTimes[i]! + 1000);
      expect(inWindow.length).toBeLessThanOrEqual(60);
    }
    // 5,000 messages at 30/s: the last goes ~166 s after the first, not sooner.
    expect(sendTimes.at(-1)! - NOW).toBeGreaterThan(165_000);
  });

  test('an idle gap gives the burst back, but never more than one second of it', () => {
    const first = reserveSlots({ nextSlotMs: 0 }, 10, 10, NOW);
    const later = reserveSlots(first.state, 25, 10, NOW + 60_000);
    expect(later.delaysMs.filter((delay) => delay === 0)).toHaveLength(10);
    expect(later.delaysMs[10]).toBeCloseTo(100);
  });

  test('messages past the horizon get no slot and are told to come back at the horizon', () => {
    const { delaysMs, reserved, state } = reserveSlots({ nextSlotMs: 0 }, 10, 1, NOW, 3_000);
    expect(reserved).toBe(4);
    expect(delaysMs).toEqual([0, 1000, 2000, 3000, 3000, 3000, 3000, 3000, 3000, 3000]);
    expect(state.nextSlotMs).toBe(NOW + 4000);
  });
});
