import { expect, test } from 'vitest';
import { MAX_RESERVE_COUNT, parseReserveRequest } from './protocol';

test('a reserve request is a batch of 1 to 100 messages at a rate a channel may have', () => {
  expect(parseReserveRequest({ count: 100, perSecond: 80 })).toEqual({ count: 100, perSecond: 80 });
  for (const bad of [
    null,
    'x',
    { count: 0, perSecond: 80 },
    { count: MAX_RESERVE_COUNT + 1, perSecond: 80 },
    { count: 1.5, perSecond: 80 },
    { count: 1, perSecond: 0 },
    { count: 1, perSecond: 10_001 },
    { count: 1, perSecond: '80' },
  ]) {
    expect(parseReserveRequest(bad)).toBeNull();
  }
});
