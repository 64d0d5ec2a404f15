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

test('a message holding a paced slot says so on the queue; any other value of paced is not a slot', () => {
  const runId = '7d0f5c1e-2b1a-4c3d-9e8f-0a1b2c3d4e5f';
  const body = dispatchQueueBody({ runId, visit: 2, paced: true });
  expect(body).toEqual({ v: 1, runId, visit: 2, paced: true });
  expect(parseDispatchMessage(body)).toEqual({ runId, visit: 2, paced: true });
  expect(parseDispatchMessage({ v: 1, runId, visit: 2, paced: 'yes' })).toEqual({
    runId,
    visit: 2,
  });
  expect(dispatchQueueBody({ runId, visit: 2 })).not.toHaveProperty('paced');
});
