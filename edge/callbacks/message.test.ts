import { describe, expect, test } from 'vitest';
import type { InboundEvent } from '../channels/events';
import { channelEventBatches, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES } from './message';

function inbound(index: number, text: string): InboundEvent {
  return {
    kind: 'inbound',
    eventKey: `event-${index}`,
    channelId: '0190a5b0-0000-7000-8000-000000000001',
    providerMessageId: `message-${index}`,
    from: { address: 'U0123456789abcdef0123456789abcdef', name: null },
    at: '2030-01-02T10:00:00.000Z',
    content: { type: 'text', text },
  };
}

/** Bytes as the queue may count them: two per UTF-16 unit (V8 stores such strings so). */
const bytesOf = (value: unknown) => 2 * JSON.stringify(value).length;

describe('callback events in batches a queue takes (100 messages, 256 KB)', () => {
  test('short events go 100 to a batch, in order', () => {
    const events = Array.from({ length: 250 }, (_, index) => inbound(index, 'hi'));
    const batches = channelEventBatches(events);
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(batches.flat().map((message) => message.event)).toEqual(events);
    expect(MAX_BATCH_MESSAGES).toBe(100);
  });

  test('long events (5,000 CJK characters, 15 KB each) go as many to a batch as fit', () => {
    const events = Array.from({ length: 40 }, (_, index) => inbound(index, '日'.repeat(5000)));
    const batches = channelEventBatches(events);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(bytesOf(batch)).toBeLessThanOrEqual(MAX_BATCH_BYTES + 1000);
    }
    expect(MAX_BATCH_BYTES).toBeLessThan(256_000);
    expect(batches.flat().map((message) => message.event)).toEqual(events);
  });

  test('mostly ASCII texts with one emoji (two bytes a character to the queue) are counted so', () => {
    const events = Array.from({ length: 40 }, (_, index) =>
      inbound(index, `${'a'.repeat(4998)}🙂`),
    );
    const batches = channelEventBatches(events);
    for (const batch of batches) {
      expect(bytesOf(batch)).toBeLessThanOrEqual(MAX_BATCH_BYTES + 1000);
    }
    expect(batches.flat()).toHaveLength(40);
  });

  test('no events, no batch', () => {
    expect(channelEventBatches([])).toEqual([]);
  });
});
