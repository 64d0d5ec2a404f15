import { expect, test } from 'vitest';
import { dispatchQueueBody, parseDispatchMessage } from './message';

const runId = '11111111-1111-4111-8111-111111111111';

test('a dispatch message travels with its format version and reads back', () => {
  const body = dispatchQueueBody({ runId, visit: 2 });
  expect(body).toEqual({ v: 1, runId, visit: 2 });
  expect(parseDispatchMessage(body)).toEqual({ runId, visit: 2 });
});

test('a body from before versions is version 1; another version or shape is dropped', () => {
  expect(parseDispatchMessage({ runId, visit: 1 })).toEqual({ runId, visit: 1 });
  expect(parseDispatchMessage({ v: 2, runId, visit: 1 })).toBeNull();
  expect(parseDispatchMessage({ runId: 'x', visit: 1 })).toBeNull();
  expect(parseDispatchMessage({ runId, visit: -1 })).toBeNull();
});

test('a visit no run can be at is dropped, and a run id is read in lower case', () => {
  expect(parseDispatchMessage({ runId, visit: 2_147_483_647 })).toEqual({
    runId,
    visit: 2_147_483_647,
  });
  expect(parseDispatchMessage({ runId, visit: 2_147_483_648 })).toBeNull();
  expect(parseDispatchMessage({ runId, visit: 1e21 })).toBeNull();
  expect(parseDispatchMessage({ runId: runId.toUpperCase(), visit: 1 })).toEqual({
    runId,
    visit: 1,
  });
});

test('a message holding a paced slot carries its attempt and time; anything else there is no slot', () => {
  const slot = { attempt: 3, atMs: 1_800_000_000_500 };
  const body = dispatchQueueBody({ runId, visit: 2, slot });
  expect(body).toEqual({ v: 1, runId, visit: 2, slot });
  expect(parseDispatchMessage(body)).toEqual({ runId, visit: 2, slot });
  for (const bad of [
    true,
    3,
    { attempt: 0, atMs: 1 },
    { attempt: 1.5, atMs: 1 },
    { attempt: 1, atMs: -1 },
    { attempt: 1, atMs: Number.NaN },
    { attempt: 1 },
  ]) {
    expect(parseDispatchMessage({ v: 1, runId, visit: 2, slot: bad })).toEqual({ runId, visit: 2 });
  }
  expect(dispatchQueueBody({ runId, visit: 2 })).not.toHaveProperty('slot');
});
